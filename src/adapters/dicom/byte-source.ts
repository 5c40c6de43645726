import { open, type FileHandle } from 'node:fs/promises';
import { CorruptFileError, NotFoundError } from '../../core/errors.js';

/** Random access to the bytes of one file; reads only what is asked for. */
export interface ByteSource {
  readonly path: string;
  readonly size: number;
  /** exactly `length` bytes at `offset`; a CorruptFileError when the file ends first */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A {@link ByteSource} over a local file, through one open file handle. */
export class FileByteSource implements ByteSource {
  readonly path: string;
  readonly size: number;
  readonly #fh: FileHandle;

  private constructor(path: string, fh: FileHandle, size: number) {
    this.path = path;
    this.#fh = fh;
    this.size = size;
  }

  /** Opens `path` for reading; a NotFoundError naming it when it cannot be opened. */
  static async open(path: string): Promise<FileByteSource> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (cause) {
      throw new NotFoundError(`Cannot open DICOM file ${path}: ${(cause as Error).message}. Check the path and its permissions.`, { path, cause });
    }
    const info = await fh.stat();
    return new FileByteSource(path, fh, info.size);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new CorruptFileError(
        `DICOM file ${this.path} is truncated or has a bad offset: bytes ${offset}..${offset + length} requested, the file has ${this.size}. Re-export or re-download the file.`,
        { path: this.path, data: { offset, length, size: this.size } },
      );
    }
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.#fh.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) {
        throw new CorruptFileError(`DICOM file ${this.path} ended at byte ${offset + done} while reading ${length} bytes at ${offset}; it is truncated.`, {
          path: this.path,
        });
      }
      done += bytesRead;
    }
    return buf;
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }
}
