/**
 * Streaming GeoJSON writer: one FeatureCollection per file, written feature by feature with
 * bounded memory, optionally gzip-compressed and split into chunks of `chunkSize` features.
 * Every file goes to a temp name first and is renamed at close; abort deletes the temp files.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { createGzip, type Gzip } from 'node:zlib';
import { OutputError, invalidArgument, throwIfAborted } from '../../core/errors.js';
import type { SlideReport, TileResult, Writer, WriterContext } from '../../core/types.js';
import { commitOutput, discardOutput, prepareOutput, type PendingOutput } from '../shared/atomic-output.js';
import { routeClasses } from './classes.js';
import { createFeatureEncoder, hasValidExtent, type FeatureStyle, type QuPathObjectType } from './feature.js';
import { BLURMM_VERSION } from '../../core/version.js';

export interface GeoJsonWriterOptions {
  /** target file, e.g. "out/tiles.geojson"; ".gz" is appended when gzip is on and the path lacks it */
  readonly path: string;
  /** gzip the output (QuPath reads .geojson.gz natively); default: true when path ends in ".gz" */
  readonly gzip?: boolean;
  /** QuPath object type of each tile; default "tile" (thousands of annotations slow QuPath down) */
  readonly objectType?: QuPathObjectType;
  /** classify by blur class (route label, default) or predicted class */
  readonly classification?: 'blur' | 'prediction';
  /** features per file; files are then named stem-0001.geojson, stem-0002.geojson, ... */
  readonly chunkSize?: number;
  /** properties.isLocked; default true for tiles and detections, false for annotations */
  readonly lock?: boolean;
  /** replace existing outputs; default false (OutputError naming the path) */
  readonly overwrite?: boolean;
  /** gzip level 1-9, default 6 */
  readonly gzipLevel?: number;
}

/** What the writer wrote, available after close. */
export interface GeoJsonWriteSummary {
  readonly files: readonly string[];
  readonly features: number;
  /** tiles skipped for an empty or non-finite extent */
  readonly skippedTiles: number;
  /** non-finite values left out of measurements */
  readonly droppedValues: number;
}

export interface GeoJsonWriter extends Writer {
  /** set after a successful close */
  readonly summary: GeoJsonWriteSummary | undefined;
}

const HEADER = '{"type":"FeatureCollection","features":[\n';
const FOOTER = '\n]}\n';
const FLUSH_AT = 1 << 16;

interface Chunk {
  readonly out: PendingOutput;
  readonly file: WriteStream;
  readonly head: WriteStream | Gzip;
  count: number;
  error: unknown;
}

function chunkPath(base: string, index: number, chunked: boolean): string {
  if (!chunked) return base;
  const m = /^(.*?)((?:\.geo)?\.json(?:\.gz)?|\.geojson(?:\.gz)?)$/i.exec(base);
  const stem = m ? m[1]! : base;
  const ext = m ? m[2]! : '';
  return `${stem}-${String(index + 1).padStart(4, '0')}${ext}`;
}

/**
 * Creates a streaming GeoJSON writer in QuPath's profile (v0.4-v0.7).
 * @example
 * const writer = createGeoJsonWriter({ path: 'out/tiles.geojson', gzip: true, overwrite: true });
 */
export function createGeoJsonWriter(options: GeoJsonWriterOptions): GeoJsonWriter {
  if (typeof options?.path !== 'string' || options.path.length === 0) throw invalidArgument('options.path', 'a non-empty file path', options?.path);
  const objectType = options.objectType ?? 'tile';
  if (!['tile', 'detection', 'annotation'].includes(objectType)) throw invalidArgument('options.objectType', '"tile", "detection" or "annotation"', objectType);
  const classification = options.classification ?? 'blur';
  if (classification !== 'blur' && classification !== 'prediction') throw invalidArgument('options.classification', '"blur" or "prediction"', classification);
  const chunkSize = options.chunkSize;
  if (chunkSize !== undefined && (!Number.isInteger(chunkSize) || chunkSize < 1)) throw invalidArgument('options.chunkSize', 'a positive integer (features per file)', chunkSize);
  const gzip = options.gzip ?? /\.gz$/i.test(options.path);
  const basePath = gzip && !/\.gz$/i.test(options.path) ? `${options.path}.gz` : options.path;
  const lock = options.lock ?? objectType !== 'annotation';
  const overwrite = options.overwrite ?? false;
  const chunked = chunkSize !== undefined;

  let style: FeatureStyle | undefined;
  let encode: ReturnType<typeof createFeatureEncoder> | undefined;
  let signal: AbortSignal | undefined;
  let chunk: Chunk | undefined;
  const finished: PendingOutput[] = [];
  let chunkIndex = 0;
  let buffer = '';
  let features = 0;
  let skippedTiles = 0;
  let droppedValues = 0;
  let summary: GeoJsonWriteSummary | undefined;

  async function openChunk(): Promise<Chunk> {
    const target = chunkPath(basePath, chunkIndex++, chunked);
    const out = await prepareOutput(target, overwrite);
    const file = createWriteStream(out.tmp);
    const head = gzip ? createGzip({ level: options.gzipLevel ?? 6 }) : file;
    const c: Chunk = { out, file, head, count: 0, error: undefined };
    file.on('error', (e) => (c.error ??= e));
    if (head !== file) {
      head.on('error', (e: Error) => (c.error ??= e));
      head.pipe(file);
    }
    c.head.write(HEADER);
    return c;
  }

  function fail(c: Chunk): never {
    throw new OutputError(`Writing ${c.out.path} failed: ${c.error instanceof Error ? c.error.message : String(c.error)}. Check free space and permissions.`, { path: c.out.path, cause: c.error });
  }

  async function flush(c: Chunk): Promise<void> {
    if (c.error) fail(c);
    if (buffer.length === 0) return;
    const ok = c.head.write(buffer);
    buffer = '';
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          c.head.off('drain', done);
          c.file.off('error', done);
          resolve();
        };
        c.head.on('drain', done);
        c.file.on('error', done);
      });
      if (c.error) fail(c);
    }
  }

  async function finishChunk(c: Chunk): Promise<void> {
    await flush(c);
    c.head.end(FOOTER);
    await new Promise<void>((resolve) => {
      if (c.file.closed) resolve();
      else {
        c.file.once('close', () => resolve());
        c.file.once('error', () => resolve());
      }
    });
    if (c.error) fail(c);
    finished.push(c.out);
  }

  async function cleanup(): Promise<void> {
    const c = chunk;
    chunk = undefined;
    if (c) {
      c.head.destroy();
      c.file.destroy();
      await new Promise<void>((r) => (c.file.closed ? r() : c.file.once('close', () => r())));
      await discardOutput(c.out);
    }
    await Promise.all(finished.map((o) => discardOutput(o)));
    finished.length = 0;
  }

  async function writeSlow(tile: TileResult): Promise<void> {
    chunk ??= await openChunk();
    append(chunk, tile);
    if (buffer.length >= FLUSH_AT) await flush(chunk);
    if (chunked && chunk.count >= chunkSize) {
      const c = chunk;
      chunk = undefined;
      await finishChunk(c);
    }
  }

  function append(c: Chunk, tile: TileResult): void {
    const { json, dropped } = encode!(tile);
    droppedValues += dropped;
    buffer += (c.count === 0 ? '' : ',\n') + json;
    c.count++;
    features++;
  }

  return {
    name: 'geojson',
    get summary() {
      return summary;
    },
    async open(context: WriterContext): Promise<void> {
      signal = context.signal;
      style = {
        objectType,
        classification,
        lock,
        classes: routeClasses(context.router),
        metadata: {
          'blurmm.version': BLURMM_VERSION,
          estimators: context.estimators.map((e) => `${e.name}@${e.version}`).join(','),
          slide: context.source.path,
        },
      };
      encode = createFeatureEncoder(style);
      chunk = await openChunk();
    },
    write(tile: TileResult): Promise<void> | void {
      if (!style) throw new OutputError(`The GeoJSON writer for ${basePath} was not opened; call open(context) first.`, { path: basePath });
      if (!hasValidExtent(tile)) {
        skippedTiles++;
        return;
      }
      // fast path: no I/O needed
      if (chunk && buffer.length < FLUSH_AT && !(chunked && chunk.count + 1 >= chunkSize)) {
        if (chunk.error) fail(chunk);
        append(chunk, tile);
        return;
      }
      throwIfAborted(signal, `GeoJSON write to ${basePath}`);
      return writeSlow(tile);
    },
    async close(report: SlideReport): Promise<void> {
      void report;
      try {
        if (chunk || finished.length === 0) {
          chunk ??= await openChunk();
          const c = chunk;
          await finishChunk(c);
          chunk = undefined;
        }
        for (const o of finished) await commitOutput(o);
      } catch (e) {
        await cleanup();
        throw e;
      }
      summary = { files: finished.map((o) => o.path), features, skippedTiles, droppedValues };
      finished.length = 0;
    },
    async abort(): Promise<void> {
      buffer = '';
      await cleanup();
    },
  };
}
