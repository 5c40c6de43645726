import { open, type FileHandle } from 'node:fs/promises';
import { ArgumentError, CorruptFileError, NotFoundError } from '../../core/errors.js';

/** Random access to the bytes of one file; reads only what is asked for. */
export interface ByteSource {
  readonly path: string;
  readonly size: number;
  /** exactly `length` bytes at `offset`; a CorruptFileError naming the file when it ends first */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Opens a local file as a {@link ByteSource} (one file handle, positional reads).
 * `kind` names the file in messages ("TIFF file", "DICOM file").
 */
export async function openFileSource(path: string, kind = 'file'): Promise<ByteSource> {
  let fh: FileHandle;
  let size: number;
  try {
    fh = await open(path, 'r');
    size = (await fh.stat()).size;
  } catch (cause) {
    throw new NotFoundError(`Cannot open ${kind} ${path}: ${(cause as Error).message}. Check the path and its permissions.`, { path, cause });
  }
  let closed = false;
  return {
    path,
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (closed) throw new ArgumentError(`${kind} ${path} was read after it was closed; open the slide again.`, { path });
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new CorruptFileError(`${kind} ${path} is truncated or has a bad offset: bytes ${offset}..${offset + length} requested, the file has ${size}. Re-export or re-copy the file.`, {
          path,
          data: { offset, length, size },
        });
      }
      const buf = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) {
          throw new CorruptFileError(`${kind} ${path} is truncated: it ended at byte ${offset + got} while reading ${length} bytes at ${offset}. Re-copy the file.`, { path });
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
