/**
 * Atomic output files: every writer writes to a temp file beside the target and renames it at
 * the end, so a failed or aborted run never leaves a partial file where a result is expected.
 */
import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OutputError } from '../../core/errors.js';

/** A pending output: write to `tmp`, then {@link commitOutput} or {@link discardOutput}. */
export interface PendingOutput {
  readonly path: string;
  readonly tmp: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks that `path` may be written (it does not exist, or `overwrite` is true; its folder
 * exists or can be created and is writable) and returns a temp path in the same folder.
 * Throws OutputError naming the path otherwise.
 */
export async function prepareOutput(path: string, overwrite: boolean): Promise<PendingOutput> {
  const dir = dirname(path);
  if (!overwrite && (await exists(path))) {
    throw new OutputError(`Output ${path} already exists. Remove it, choose another path, or pass overwrite: true (CLI: --overwrite).`, { path });
  }
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (cause) {
    throw new OutputError(`Cannot write ${path}: its folder ${dir} cannot be created or is not writable. Check the permissions or choose another output folder.`, { path, cause });
  }
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory()) {
    throw new OutputError(`Cannot write ${path}: a folder of that name exists. Choose a file path.`, { path });
  }
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  return { path, tmp };
}

/** Renames the temp file onto its target. */
export async function commitOutput(output: PendingOutput): Promise<void> {
  try {
    await rename(output.tmp, output.path);
  } catch (cause) {
    await discardOutput(output);
    throw new OutputError(`Could not move the finished output into place at ${output.path}. Check the folder's permissions and free space.`, { path: output.path, cause });
  }
}

/** Deletes the temp file, ignoring a missing one. */
export async function discardOutput(output: PendingOutput): Promise<void> {
  await unlink(output.tmp).catch(() => undefined);
}

/** Writes `data` to `path` atomically (temp file + rename). */
export async function writeFileAtomic(path: string, data: Uint8Array | string, overwrite: boolean): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  const out = await prepareOutput(path, overwrite);
  try {
    await writeFile(out.tmp, data);
  } catch (cause) {
    await discardOutput(out);
    throw new OutputError(`Could not write ${path}: ${cause instanceof Error ? cause.message : String(cause)}. Check free space and permissions.`, { path, cause });
  }
  await commitOutput(out);
}
