import { open, stat, type FileHandle } from 'node:fs/promises';
import { ArgumentError, CorruptFileError, NotFoundError } from '../../core/errors.js';

/** Random access to the bytes of one file. */
export interface ByteSource {
  readonly path: string;
  readonly size: number;
  /** exactly `length` bytes at `offset` (callers check bounds against `size`) */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Opens a local file as a {@link ByteSource} (one file handle, positional reads). */
export async function openFileSource(path: string): Promise<ByteSource> {
  let fh: FileHandle;
  let size: number;
  try {
    size = (await stat(path)).size;
    fh = await open(path, 'r');
  } catch (cause) {
    throw new NotFoundError(`Cannot open ${path}: ${(cause as Error).message}. Check the path and its permissions.`, { path, cause });
  }
  let closed = false;
  return {
    path,
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (closed) throw new ArgumentError(`${path} was read after the slide was closed; open it again.`, { path });
      const buf = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) {
          throw new CorruptFileError(`${path} is truncated: wanted bytes ${offset}..${offset + length}, the file ends at ${offset + got}. Re-copy the file.`, { path });
        }
        got += bytesRead;
      }
      return buf;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}
