/** Keeps every file a request names inside the configured roots (symlinks resolved). */
import { realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { ArgumentError, NotFoundError } from '../../core/errors.js';

/** Thrown for a path outside every root (HTTP 403). */
export class OutsideRootError extends ArgumentError {
  readonly outsideRoot = true;
}

export interface Roots {
  readonly list: readonly string[];
  /** an existing file or folder inside a root, resolved to its real path */
  existing(path: string, field: string): Promise<string>;
  /** a path that may not exist yet (an output folder) whose nearest existing ancestor is inside a root */
  writable(path: string, field: string): Promise<string>;
  /** true when an absolute, real path is inside a root */
  contains(realPath: string): boolean;
}

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(`..${sep}`));
}

/** Resolves the roots (they must exist) and returns the checker. */
export async function createRoots(roots: readonly string[]): Promise<Roots> {
  const list: string[] = [];
  for (const r of roots) {
    try {
      const real = await realpath(resolve(r));
      if (!(await stat(real)).isDirectory()) throw new Error('not a folder');
      list.push(real);
    } catch (cause) {
      throw new NotFoundError(`Server root ${r} does not exist or is not a folder. Pass existing folders with --root.`, { path: r, cause });
    }
  }
  const contains = (p: string): boolean => list.some((root) => inside(root, p));
  const outside = (path: string, field: string): OutsideRootError =>
    new OutsideRootError(`${field} ${JSON.stringify(path)} is outside the server's roots; only files under the folders given with --root can be read or written.`, { pointer: field, path });
  const absolute = (p: string): string => (isAbsolute(p) ? p : resolve(list[0] ?? process.cwd(), p));
  return {
    list,
    contains,
    async existing(path, field) {
      const abs = absolute(path);
      if (!contains(abs)) throw outside(path, field);
      let real: string;
      try {
        real = await realpath(abs);
      } catch (cause) {
        throw new NotFoundError(`${field} ${JSON.stringify(path)} does not exist under the server's roots. Check the path (relative paths resolve from ${list[0]}).`, { path, pointer: field, cause });
      }
      if (!contains(real)) throw outside(path, field);
      return real;
    },
    async writable(path, field) {
      const abs = absolute(path);
      if (!contains(abs)) throw outside(path, field);
      let probe = abs;
      const rest: string[] = [];
      for (;;) {
        try {
          const real = await realpath(probe);
          if (!contains(real)) throw outside(path, field);
          return resolve(real, ...rest.reverse());
        } catch (e) {
          if (e instanceof OutsideRootError) throw e;
          const parent = dirname(probe);
          if (parent === probe) throw outside(path, field);
          rest.push(probe.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
          probe = parent;
        }
      }
    },
  };
}
