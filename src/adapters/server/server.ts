/**
 * `blurmm serve`: a small local HTTP service (node:http) for QuPath scripts and other platforms
 * that do not run Node in-process. Loopback by default; JSON in; JSON or GeoJSON out.
 *
 *   GET  /v1/health                      -> { status, blurmm }
 *   POST /v1/info     { path }           -> slide info
 *   POST /v1/estimate { path, ... }      -> per-tile blur (JSON report, or GeoJSON)
 *   POST /v1/analyze  { path, config?, outDir?, format? } -> SlideReport JSON, or GeoJSON tiles
 *
 * Bodies are limited in size and validated with ajv; every path must lie inside a configured
 * root (symlinks resolved); errors are JSON `{ error: { code, message, pointer?, status } }`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { ArgumentError, BlurmmError, ConfigError, invalidArgument, isBlurmmError } from '../../core/errors.js';
import { validateConfig } from '../../core/config.js';
import type { SlideReport } from '../../core/types.js';
import { routeClasses } from '../geojson/classes.js';
import { hasValidExtent, tileToFeature, type FeatureStyle } from '../geojson/feature.js';
import { BLURMM_VERSION } from '../../core/version.js';
import type { TileEstimate } from '../../api.js';
import { createRoots, OutsideRootError, type Roots } from './roots.js';
import { analyzeRequestSchema, estimateRequestSchema, infoRequestSchema, type AnalyzeRequest, type EstimateRequest, type InfoRequest } from './schemas.js';

/** One tile of `estimate` as src/api.ts streams it. */
export type EstimateTile = TileEstimate;

/** The analysis functions the server calls (src/api.ts in production; fakes in tests). */
export interface ServerHandlers {
  info(target: string, options: { signal?: AbortSignal }): Promise<unknown>;
  /** resolves with a report (tiles may be empty); each tile's blur values may also arrive through `onTile` */
  estimate(
    target: string,
    options: { estimators?: string[]; tileSize?: number; mpp?: number; level?: number; tissueMask?: boolean; signal?: AbortSignal },
    onTile?: (tile: EstimateTile) => void,
  ): Promise<unknown>;
  analyze(target: string, options: { config?: unknown; outDir?: string; baseDir?: string; signal?: AbortSignal }): Promise<SlideReport>;
}

export interface BlurmmServerOptions {
  /** default 127.0.0.1 (loopback only) */
  readonly host?: string;
  /** default 0 (any free port) */
  readonly port?: number;
  /** folders the server may read slides from and write outputs to; at least one */
  readonly roots: readonly string[];
  readonly handlers: ServerHandlers;
  /** request body limit in bytes, default 1 MiB */
  readonly maxBodyBytes?: number;
  /** analyses/estimates running at once; more get 503 with Retry-After (default 1) */
  readonly maxConcurrent?: number;
  /** allow http(s) slide URLs (DICOMweb); default false */
  readonly allowUrls?: boolean;
}

export interface BlurmmServer {
  /** starts listening; resolves with the bound address */
  listen(): Promise<{ host: string; port: number; url: string }>;
  /** stops accepting, aborts running analyses, closes connections */
  close(): Promise<void>;
  readonly url: string | undefined;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly pointer?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function statusOf(err: unknown): number {
  if (err instanceof OutsideRootError) return 403;
  if (!isBlurmmError(err)) return 500;
  switch (err.code) {
    case 'E_ARGUMENT':
    case 'E_CONFIG':
      return 400;
    case 'E_NOT_FOUND':
      return 404;
    case 'E_FORMAT':
    case 'E_CORRUPT':
    case 'E_UNSUPPORTED':
      return 422;
    case 'E_ABORTED':
      return 499;
    case 'E_NETWORK':
      return 502;
    case 'E_REGISTRY':
      return 422;
    default:
      return 500;
  }
}

function ajvMessage(errors: readonly ErrorObject[] | null | undefined): { pointer: string; message: string } {
  const e = errors?.[0];
  if (!e) return { pointer: '', message: 'is invalid' };
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return { pointer: `${e.instancePath}/${extra}`, message: `is not a known field` };
  }
  if (e.keyword === 'required') return { pointer: `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`, message: 'is required' };
  if (e.keyword === 'enum') return { pointer: e.instancePath, message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
  return { pointer: e.instancePath || '/', message: e.message ?? 'is invalid' };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy(err instanceof Error ? err : undefined);
    return;
  }
  if (err instanceof HttpError) {
    sendJson(res, err.status, { error: { code: err.code, message: err.message, ...(err.pointer !== undefined ? { pointer: err.pointer } : {}), status: err.status } }, err.headers);
    return;
  }
  const status = statusOf(err);
  const b = err instanceof BlurmmError ? err : undefined;
  const message = err instanceof Error ? err.message : String(err);
  const issues = err instanceof ConfigError ? err.issues : undefined;
  sendJson(res, status, {
    error: {
      code: b?.code ?? 'E_INTERNAL',
      message: status === 500 && !b ? `Internal error: ${message}` : message,
      ...(b?.pointer !== undefined ? { pointer: b.pointer } : {}),
      ...(issues ? { issues } : {}),
      status,
    },
  });
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, 'E_TOO_LARGE', `Request body of ${declared} bytes exceeds the limit of ${limit} bytes (serve --max-body).`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) throw new HttpError(413, 'E_TOO_LARGE', `Request body exceeds the limit of ${limit} bytes (serve --max-body).`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Writes a report's tiles as a GeoJSON FeatureCollection, feature by feature, honouring backpressure. */
async function sendGeoJson(res: ServerResponse, report: SlideReport, objectType: FeatureStyle['objectType'], classification: FeatureStyle['classification']): Promise<void> {
  const style: FeatureStyle = {
    objectType,
    classification,
    lock: objectType !== 'annotation',
    classes: routeClasses(report.routing),
    metadata: { 'blurmm.version': report.blurmmVersion, estimators: report.estimators.map((e) => `${e.name}@${e.version}`).join(','), slide: report.slide.path },
  };
  res.writeHead(200, { 'content-type': 'application/geo+json; charset=utf-8', 'cache-control': 'no-store' });
  let buf = '{"type":"FeatureCollection","features":[\n';
  let first = true;
  for (const tile of report.tiles) {
    if (!hasValidExtent(tile)) continue;
    buf += (first ? '' : ',\n') + JSON.stringify(tileToFeature(tile, style).feature);
    first = false;
    if (buf.length > 1 << 16) {
      const ok = res.write(buf);
      buf = '';
      if (!ok) await new Promise<void>((r) => res.once('drain', r));
    }
  }
  res.end(buf + '\n]}\n');
}

/** Writes a report as JSON, streaming its tiles one by one (a 1 M-tile report never becomes one string). */
async function sendReportJson(res: ServerResponse, report: SlideReport): Promise<void> {
  const SENTINEL = '\u0000blurmm-tiles\u0000';
  const [head, tail] = JSON.stringify({ ...report, tiles: SENTINEL }).split(JSON.stringify(SENTINEL)) as [string, string];
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  let buf = head + '[';
  let first = true;
  for (const t of report.tiles) {
    buf += (first ? '' : ',') + JSON.stringify(t);
    first = false;
    if (buf.length > 1 << 16) {
      const ok = res.write(buf);
      buf = '';
      if (!ok) await new Promise<void>((r) => res.once('drain', r));
    }
  }
  res.end(buf + ']' + tail);
}

/**
 * Creates the HTTP server (not yet listening).
 * @example
 * const server = createBlurmmServer({ roots: ['/data/slides'], handlers: await import('blurmm') });
 * const { url } = await server.listen(); // http://127.0.0.1:PORT
 */
export function createBlurmmServer(options: BlurmmServerOptions): BlurmmServer {
  if (!Array.isArray(options?.roots) || options.roots.length === 0) throw invalidArgument('options.roots', 'at least one folder the server may read and write', options?.roots);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidArgument('options.port', 'an integer from 0 to 65535', port);
  const maxBody = options.maxBodyBytes ?? 1 << 20;
  if (!Number.isInteger(maxBody) || maxBody < 256) throw invalidArgument('options.maxBodyBytes', 'an integer of at least 256 (bytes)', maxBody);
  const maxConcurrent = options.maxConcurrent ?? 1;
  const loopback = LOOPBACK_HOSTS.has(host);
  const ajv = new Ajv2020({ allErrors: false, useDefaults: true, strict: true, strictTuples: false });
  const validators: Record<string, ValidateFunction> = {
    info: ajv.compile(infoRequestSchema as object),
    estimate: ajv.compile(estimateRequestSchema as object),
    analyze: ajv.compile(analyzeRequestSchema as object),
  };
  const handlers = options.handlers;
  let roots: Roots | undefined;
  let server: Server | undefined;
  let url: string | undefined;
  let running = 0;
  const controllers = new Set<AbortController>();

  function parse(route: string, text: string): unknown {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (cause) {
      throw new HttpError(400, 'E_ARGUMENT', `Request body is not valid JSON (${(cause as Error).message}).`);
    }
    const validate = validators[route]!;
    if (!validate(body)) {
      const { pointer, message } = ajvMessage(validate.errors);
      throw new HttpError(400, 'E_ARGUMENT', `Request field ${pointer} ${message}. See GET /v1/health for the API summary.`, pointer);
    }
    return body;
  }

  async function target(path: string): Promise<string> {
    if (/^https?:\/\//i.test(path)) {
      if (!options.allowUrls) throw new OutsideRootError(`path ${JSON.stringify(path)} is a URL; remote slides are disabled (start serve with --allow-urls).`, { pointer: '/path', path });
      return path;
    }
    return roots!.existing(path, '/path');
  }

  /** Every path in a config (models, estimator weights, regions of interest) must lie in a root too. */
  function checkConfigPaths(config: Record<string, unknown>): void {
    const root = roots!.list[0]!;
    const validated = validateConfig(config, { baseDir: root });
    validated.models.forEach((m, i) => {
      if (m.path && !roots!.contains(m.path)) throw new OutsideRootError(`config /models/${i}/path ${JSON.stringify(m.path)} is outside the server's roots.`, { pointer: `/config/models/${i}/path` });
    });
    validated.estimators.forEach((e, i) => {
      const w = e.options?.weights;
      if (typeof w === 'string' && !roots!.contains(w)) throw new OutsideRootError(`config /estimators/${i}/options/weights ${JSON.stringify(w)} is outside the server's roots.`, { pointer: `/config/estimators/${i}/options/weights` });
    });
    const g = validated.regions?.geojson;
    if (g !== undefined && !roots!.contains(g)) throw new OutsideRootError(`config /regions/geojson ${JSON.stringify(g)} is outside the server's roots.`, { pointer: '/config/regions/geojson' });
  }

  async function heavy<T>(res: ServerResponse, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (running >= maxConcurrent) throw new HttpError(503, 'E_BUSY', `The server is busy with ${running} analysis(es); retry later (serve --max-concurrent).`, undefined, { 'retry-after': '5' });
    running++;
    const controller = new AbortController();
    controllers.add(controller);
    const onClose = (): void => {
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    };
    res.on('close', onClose);
    try {
      return await fn(controller.signal);
    } finally {
      running--;
      controllers.delete(controller);
      res.off('close', onClose);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://localhost');
    if (loopback) {
      const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      if (!LOOPBACK_HOSTS.has(hostHeader)) throw new HttpError(403, 'E_FORBIDDEN', `Host ${JSON.stringify(req.headers.host ?? '')} is not a loopback name; the server only answers requests for localhost.`);
    }
    const route = /^\/v1\/(health|info|estimate|analyze)\/?$/.exec(u.pathname)?.[1];
    if (!route) throw new HttpError(404, 'E_NOT_FOUND', `No route ${u.pathname}. Routes: GET /v1/health, POST /v1/info, /v1/estimate, /v1/analyze.`);
    if (route === 'health') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'E_METHOD', `Use GET for /v1/health.`, undefined, { allow: 'GET, HEAD' });
      sendJson(res, 200, { status: 'ok', blurmm: BLURMM_VERSION, routes: ['GET /v1/health', 'POST /v1/info', 'POST /v1/estimate', 'POST /v1/analyze'], busy: running >= maxConcurrent });
      return;
    }
    if (req.method !== 'POST') throw new HttpError(405, 'E_METHOD', `Use POST for /v1/${route}.`, undefined, { allow: 'POST' });
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new HttpError(415, 'E_MEDIA_TYPE', `Send the request body as Content-Type: application/json (got ${JSON.stringify(type || 'none')}).`);
    const body = parse(route, await readBody(req, maxBody));
    if (route === 'info') {
      const b = body as InfoRequest;
      const t = await target(b.path);
      sendJson(res, 200, await handlers.info(t, {}));
      return;
    }
    if (route === 'estimate') {
      const b = body as EstimateRequest;
      const t = await target(b.path);
      const streamed: EstimateTile[] = [];
      const result = await heavy(res, (signal) =>
        handlers.estimate(
          t,
          {
            ...(b.estimators ? { estimators: b.estimators } : {}),
            ...(b.tileSize !== undefined ? { tileSize: b.tileSize } : {}),
            ...(b.mpp !== undefined ? { mpp: b.mpp } : {}),
            ...(b.level !== undefined ? { level: b.level } : {}),
            ...(b.tissueMask !== undefined ? { tissueMask: b.tissueMask } : {}),
            signal,
          },
          (tile) => streamed.push(tile),
        ),
      );
      if (!isReport(result)) {
        if (b.format === 'geojson') throw new ArgumentError('format "geojson" needs tile results from estimate; this server returned none.', { pointer: '/format' });
        sendJson(res, 200, result);
        return;
      }
      // tiles streamed through onTile become the report's tiles (route: the report's fallback, e.g. "estimated")
      const fallback = result.routing.fallback;
      const report: SlideReport = result.tiles.length > 0 || streamed.length === 0 ? result : {
        ...result,
        tiles: streamed.map((e) => ({ index: e.index, col: e.col, row: e.row, x: e.x, y: e.y, width: e.width, height: e.height, level: result.tiling.level, tissueFraction: e.tissueFraction, blur: e.values, route: { index: -1, label: fallback.label, model: fallback.model } })),
      };
      if (b.format === 'geojson') await sendGeoJson(res, report, b.objectType ?? 'tile', b.classification ?? 'blur');
      else await sendReportJson(res, report);
      return;
    }
    const b = body as AnalyzeRequest;
    const t = await target(b.path);
    if (b.config) checkConfigPaths(b.config);
    const outDir = b.outDir !== undefined ? await roots!.writable(b.outDir, '/outDir') : undefined;
    // GeoJSON needs the tiles in the report; JSON keeps them unless includeTiles is false
    const keepTiles = b.format === 'geojson' || b.includeTiles !== false;
    const config = b.config === undefined && keepTiles ? undefined : { ...b.config, outputs: { ...(b.config?.outputs as object | undefined), includeTilesInReport: keepTiles } };
    const report = await heavy(res, (signal) =>
      handlers.analyze(t, { ...(config !== undefined ? { config } : {}), ...(outDir !== undefined ? { outDir } : {}), baseDir: roots!.list[0]!, signal }),
    );
    if (b.format === 'geojson') await sendGeoJson(res, report, b.objectType ?? 'tile', b.classification ?? 'blur');
    else await sendReportJson(res, report);
  }

  return {
    get url() {
      return url;
    },
    async listen() {
      roots ??= await createRoots(options.roots);
      const s = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => {
          // drain an unread body so the client sees the error rather than a reset
          if (!req.complete) req.resume();
          sendError(res, err);
        });
      });
      s.requestTimeout = 0;
      s.headersTimeout = 30_000;
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host, () => {
          s.off('error', reject);
          resolve();
        });
      });
      const addr = s.address() as AddressInfo;
      const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      url = `http://${h}:${addr.port}`;
      return { host: addr.address, port: addr.port, url };
    },
    async close() {
      for (const c of controllers) c.abort(new Error('server closing'));
      const s = server;
      server = undefined;
      if (!s) return;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
  };
}

function isReport(v: unknown): v is SlideReport {
  return typeof v === 'object' && v !== null && Array.isArray((v as { tiles?: unknown }).tiles) && typeof (v as { routing?: unknown }).routing === 'object';
}
