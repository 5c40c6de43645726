/**
 * A DICOM-WSI series read through DICOMweb: WADO-RS `/metadata` once, then frames on demand
 * (`/instances/{sop}/frames/{n[,m...]}`, as stored: `transfer-syntax=*`), decoded locally;
 * `/frames/{n}/rendered` when no local decoder fits.
 */
import { ArgumentError, FormatError, NetworkError, isBlurmmError } from '../../core/errors.js';
import type { OpenSourceOptions, RgbImage } from '../../core/types.js';
import { decodeJpeg } from '../codecs/jpeg.js';
import { decodeFrame, isSupportedTransferSyntax, sniffCodec, TRANSFER_SYNTAX, type FrameFormat } from '../dicom/codecs.js';
import type { DicomJsonDataset } from '../dicom/dataset.js';
import { assembleSeries, describeInstance, type TileRef, type WsiInstance } from '../dicom/series.js';
import { DicomWsiSource, type FrameProvider } from '../dicom/wsi-source.js';
import { DicomwebClient } from './client.js';
import { mediaTypeParams, parseMultipart, type MultipartPart } from './multipart.js';

const SERIES_URL = /^(https?:\/\/.+)\/studies\/([^/?#]+)\/series\/([^/?#]+)\/?$/i;

/** Splits a series URL into its DICOMweb root, study and series UIDs; undefined when it is not one. */
export function parseSeriesUrl(url: string): { root: string; study: string; series: string } | undefined {
  const m = SERIES_URL.exec(url);
  if (!m) return undefined;
  return { root: m[1]!, study: decodeURIComponent(m[2]!), series: decodeURIComponent(m[3]!) };
}

/** Accept header asking for frames as stored, in any transfer syntax (see the README of issue 4). */
export const FRAMES_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';

export interface DicomwebOpenOptions extends OpenSourceOptions {
  /** frames asked for in one request (default 8; 1 disables batching) */
  readonly framesPerRequest?: number;
  /** first retry delay in ms (default 200) */
  readonly backoffMs?: number;
}

interface Pending {
  readonly frame: number;
  readonly resolve: (part: MultipartPart) => void;
  readonly reject: (err: unknown) => void;
}

class DicomwebFrameProvider implements FrameProvider {
  readonly #client: DicomwebClient;
  readonly #seriesUrl: string;
  readonly #framesPerRequest: number;
  /** per instance: frames requested in this tick, flushed together */
  readonly #queues = new Map<WsiInstance, Pending[]>();

  constructor(client: DicomwebClient, seriesUrl: string, framesPerRequest: number) {
    this.#client = client;
    this.#seriesUrl = seriesUrl;
    this.#framesPerRequest = framesPerRequest;
  }

  #framesUrl(inst: WsiInstance, frames: readonly number[]): string {
    return `${this.#seriesUrl}/instances/${encodeURIComponent(inst.sopInstanceUid)}/frames/${frames.join(',')}`;
  }

  async #fetchParts(inst: WsiInstance, frames: readonly number[], signal: AbortSignal | undefined): Promise<MultipartPart[]> {
    const url = this.#framesUrl(inst, frames);
    const res = await this.#client.get(url, FRAMES_ACCEPT, signal);
    const parts = parseMultipart(res.body, res.contentType, url);
    if (parts.length !== frames.length) {
      throw new NetworkError(`${url} returned ${parts.length} parts for ${frames.length} frame(s); the server answered incompletely.`, { path: url });
    }
    return parts;
  }

  #flush(inst: WsiInstance, signal: AbortSignal | undefined): void {
    const queue = this.#queues.get(inst) ?? [];
    this.#queues.delete(inst);
    for (let i = 0; i < queue.length; i += this.#framesPerRequest) {
      const batch = queue.slice(i, i + this.#framesPerRequest);
      this.#fetchParts(inst, batch.map((p) => p.frame), signal).then(
        (parts) => batch.forEach((p, k) => p.resolve(parts[k]!)),
        (err: unknown) => {
          // one bad frame must not fail its neighbours: retry a failed batch frame by frame
          if (batch.length === 1 || isBlurmmError(err, 'E_ABORTED')) return batch.forEach((p) => p.reject(err));
          for (const p of batch) this.#fetchParts(inst, [p.frame], signal).then((parts) => p.resolve(parts[0]!), p.reject);
        },
      );
    }
  }

  #part(inst: WsiInstance, frame: number, signal: AbortSignal | undefined): Promise<MultipartPart> {
    if (this.#framesPerRequest <= 1) return this.#fetchParts(inst, [frame], signal).then((p) => p[0]!);
    return new Promise((resolve, reject) => {
      let queue = this.#queues.get(inst);
      if (!queue) {
        queue = [];
        this.#queues.set(inst, queue);
        setImmediate(() => this.#flush(inst, signal));
      }
      queue.push({ frame, resolve, reject });
    });
  }

  async readFrame(ref: TileRef, where: string, signal?: AbortSignal): Promise<RgbImage> {
    const { instance, frame } = ref;
    if (frame > instance.numberOfFrames) {
      throw new FormatError(`${where}: frame ${frame} is past NumberOfFrames (${instance.numberOfFrames}) of the instance.`, { location: where });
    }
    const part = await this.#part(instance, frame, signal);
    const { type, params } = mediaTypeParams(part.headers['content-type'] ?? 'application/octet-stream');
    const sniffed = sniffCodec(part.body);
    let syntax = params['transfer-syntax'];
    if (syntax === undefined || syntax === '*') {
      syntax = sniffed === 'jpeg' ? TRANSFER_SYNTAX.jpegBaseline : sniffed === 'j2k' ? TRANSFER_SYNTAX.j2k : type === 'application/octet-stream' ? TRANSFER_SYNTAX.explicitLE : instance.format.transferSyntax;
    }
    if (!isSupportedTransferSyntax(syntax)) return this.#rendered(instance, frame, where, signal);
    const format: FrameFormat = { ...instance.format, transferSyntax: syntax };
    return decodeFrame(part.body, format, where);
  }

  /** the server-rendered frame (PNG), for transfer syntaxes no local decoder reads */
  async #rendered(inst: WsiInstance, frame: number, where: string, signal: AbortSignal | undefined): Promise<RgbImage> {
    const url = `${this.#framesUrl(inst, [frame])}/rendered`;
    const res = await this.#client.get(url, 'image/png', signal);
    return decodeJpeg(res.body, `${where} (rendered by the server)`); // sharp reads PNG as well
  }

  async close(): Promise<void> {
    this.#queues.clear();
  }
}

/**
 * Opens a DICOM-WSI series from a DICOMweb series URL
 * (`http(s)://host/dicom-web/studies/{study}/series/{series}`).
 *
 * @example
 * const slide = await openDicomwebSeries('http://127.0.0.1:8042/dicom-web/studies/1.2/series/1.3',
 *   { http: { headers: { Authorization: 'Bearer abc' }, maxInFlight: 6 } });
 */
export async function openDicomwebSeries(url: string, options: DicomwebOpenOptions = {}): Promise<DicomWsiSource> {
  const parsed = parseSeriesUrl(url);
  if (!parsed) {
    throw new ArgumentError(`Expected a DICOMweb series URL (http(s)://host/<root>/studies/{study}/series/{series}) for target but received "${url}"`, { pointer: 'target', path: url });
  }
  const seriesUrl = url.replace(/\/$/, '');
  const client = new DicomwebClient({
    headers: options.http?.headers,
    maxInFlight: options.http?.maxInFlight,
    retries: options.http?.retries,
    timeoutMs: options.http?.timeoutMs,
    backoffMs: options.backoffMs,
  });
  const metaUrl = `${seriesUrl}/metadata`;
  const res = await client.get(metaUrl, 'application/dicom+json', options.signal);
  let metadata: unknown;
  try {
    metadata = JSON.parse(new TextDecoder().decode(res.body));
  } catch (cause) {
    throw new NetworkError(`${metaUrl} did not return JSON (Content-Type "${res.contentType}"); check that the URL is a DICOMweb series.`, { path: metaUrl, cause });
  }
  if (!Array.isArray(metadata) || metadata.length === 0) {
    throw new FormatError(`${metaUrl} returned no instance metadata; the series is empty or the server is not DICOMweb.`, { path: metaUrl });
  }
  const instances: WsiInstance[] = [];
  const skipped: string[] = [];
  for (const ds of metadata as DicomJsonDataset[]) {
    const sop = (ds['00080018']?.Value?.[0] as string | undefined) ?? '?';
    try {
      instances.push(describeInstance(ds, `instance ${sop}`, undefined));
    } catch (err) {
      if (!isBlurmmError(err, 'E_FORMAT')) throw err;
      skipped.push(sop);
    }
  }
  if (instances.length === 0) {
    throw new FormatError(`DICOMweb series ${parsed.series} at ${seriesUrl} holds no whole-slide image instance (${skipped.length} other instance(s)).`, { path: seriesUrl });
  }
  const series = assembleSeries(instances, seriesUrl);
  return new DicomWsiSource({
    format: 'dicomweb',
    path: seriesUrl,
    series,
    provider: new DicomwebFrameProvider(client, seriesUrl, Math.max(1, Math.trunc(options.framesPerRequest ?? 8))),
    tileCacheBytes: options.tileCacheBytes,
    maxInFlight: Math.max(8, client.maxInFlight * 2),
    properties: { 'dicomweb.root': parsed.root, 'dicomweb.skipped-instances': String(skipped.length) },
  });
}
