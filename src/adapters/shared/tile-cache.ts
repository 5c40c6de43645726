import { invalidArgument } from '../../core/errors.js';
import type { RgbImage } from '../../core/types.js';

interface Entry {
  readonly promise: Promise<RgbImage>;
  /** decoded bytes, 0 while the load is pending */
  bytes: number;
}

/**
 * A bounded LRU cache of decoded tiles, sized in decoded bytes.
 *
 * It caches the *promise* of a tile, so concurrent readers of one tile share a single decode
 * (as geotiff.js does in `getTileOrStrip`). A load that fails is dropped from the cache, so the
 * next reader tries again. A `maxBytes` of 0 disables caching (every call loads; concurrent
 * calls for one key still share the pending load).
 *
 * @example
 * const cache = new TileCache(64 * 1024 * 1024);
 * const tile = await cache.getOrLoad(`0/${col}/${row}`, () => decodeTile(col, row));
 */
export class TileCache {
  readonly #maxBytes: number;
  /** Map iteration order is insertion order: the first key is the least recently used. */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(maxBytes: number) {
    if (typeof maxBytes !== 'number' || !Number.isFinite(maxBytes) || maxBytes < 0) {
      throw invalidArgument('maxBytes', 'a finite number of bytes >= 0', maxBytes);
    }
    this.#maxBytes = maxBytes;
  }

  /** decoded bytes currently held (settled entries only) */
  get size(): number {
    return this.#bytes;
  }

  /** the configured limit in bytes */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** number of entries (pending and settled) */
  get count(): number {
    return this.#entries.size;
  }

  /**
   * The tile under `key`, loading it with `load` on a miss. Concurrent calls with one key share
   * one load. Rejections propagate to every waiter and are not cached.
   */
  getOrLoad(key: string, load: () => Promise<RgbImage>): Promise<RgbImage> {
    const hit = this.#entries.get(key);
    if (hit) {
      // refresh recency
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.promise;
    }
    let promise: Promise<RgbImage>;
    try {
      promise = load();
    } catch (err) {
      return Promise.reject(err);
    }
    const entry: Entry = { promise, bytes: 0 };
    this.#entries.set(key, entry);
    promise.then(
      (image) => {
        if (this.#entries.get(key) !== entry) return; // cleared or replaced meanwhile
        if (this.#maxBytes === 0) {
          this.#entries.delete(key);
          return;
        }
        entry.bytes = image.data.byteLength;
        this.#bytes += entry.bytes;
        this.#evict();
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return promise;
  }

  /** drops every entry (pending loads still resolve for their callers) */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #evict(): void {
    if (this.#bytes <= this.#maxBytes) return;
    for (const [key, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      if (entry.bytes === 0) continue; // pending: keep so waiters share it
      this.#entries.delete(key);
      this.#bytes -= entry.bytes;
    }
  }
}
