/**
 * DICOMweb against a real Orthanc 1.10 + DICOMweb plugin (Debian packages orthanc,
 * orthanc-dicomweb) loaded with the shared TILED_FULL and TILED_SPARSE files: reads through the
 * series URL equal the local files' pixels. Faults (5xx, wrong content types, 401, hangs) come
 * from a small proxy in front of that Orthanc.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDicomSeries } from '../src/adapters/dicom/open-local.js';
import type { DicomWsiSource } from '../src/adapters/dicom/wsi-source.js';
import { openDicomwebSeries } from '../src/adapters/dicomweb/open-dicomweb.js';
import { dicomwebOpener } from '../src/adapters/dicomweb/opener.js';
import { isBlurmmError, type NetworkError } from '../src/core/errors.js';
import { freePort, hasOrthanc, startOrthanc, type OrthancServer } from './helpers/orthanc.js';
import { hasSharedData, shared } from './helpers/shared-data.js';

const STUDY = '2.25.158078963828814097053604605049103837732';
const FULL = '2.25.28615303371472510279235540832700753311';
const SPARSE_ALL = '2.25.277548548450914758235351051718639328187';
const SPARSE_TWO = '2.25.340125102798997574139350525978657244572';

type Fault = (req: IncomingMessage, res: ServerResponse) => boolean;

/** An HTTP proxy to Orthanc that can inject faults and counts concurrent requests. */
async function startProxy(target: string): Promise<{ url: string; server: Server; fault: { fn: Fault | undefined }; stats: { now: number; max: number; total: number } }> {
  const fault: { fn: Fault | undefined } = { fn: undefined };
  const stats = { now: 0, max: 0, total: 0 };
  const server = createServer((req, res) => {
    stats.total++;
    stats.now++;
    stats.max = Math.max(stats.max, stats.now);
    res.on('close', () => stats.now--);
    if (fault.fn?.(req, res)) return;
    const headers: Record<string, string> = {};
    if (req.headers.accept) headers.Accept = req.headers.accept;
    fetch(target + req.url, { headers }).then(
      async (r) => {
        const body = Buffer.from(await r.arrayBuffer());
        res.writeHead(r.status, { 'Content-Type': r.headers.get('content-type') ?? 'application/octet-stream', 'Content-Length': body.length });
        res.end(body);
      },
      () => {
        res.writeHead(502);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, fault, stats };
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

describe.skipIf(!hasOrthanc || !hasSharedData)('DICOMweb against a real Orthanc', () => {
  let orthanc: OrthancServer;
  let local: DicomWsiSource;
  let proxy: Awaited<ReturnType<typeof startProxy>>;

  beforeAll(async () => {
    orthanc = await startOrthanc([shared('slides', 'dicom', 'tiled-full'), shared('slides', 'dicom', 'tiled-sparse')]);
    local = await openDicomSeries(shared('slides', 'dicom', 'tiled-full'));
    proxy = await startProxy(orthanc.url);
  }, 90_000);

  afterAll(async () => {
    await local?.close();
    await new Promise<void>((resolve) => (proxy ? proxy.server.close(() => resolve()) : resolve()));
    await orthanc?.stop();
  }, 60_000);

  it('opens the series URL with the same levels and reads every level pixel-identical to the local files', async () => {
    const url = orthanc.seriesUrl(STUDY, FULL);
    expect(dicomwebOpener.canOpen(url, undefined)).toBe(true);
    const web = await dicomwebOpener.open(url, {});
    try {
      expect(web.format).toBe('dicomweb');
      expect(web.levels).toEqual(local.levels);
      expect(web.mpp).toEqual(local.mpp);
      expect(web.properties['dicom.SeriesInstanceUID']).toBe(FULL);
      for (let level = 0; level < web.levels.length; level++) {
        const { width, height } = web.levels[level]!;
        const a = await web.readRegion({ x: 0, y: 0, width, height, level });
        const b = await local.readRegion({ x: 0, y: 0, width, height, level });
        expect(same(a.data, b.data), `level ${level}`).toBe(true);
      }
      // a region crossing tile edges and the border
      const r = { x: 3900, y: 2900, width: 300, height: 300, level: 0 };
      expect(same((await web.readRegion(r)).data, (await local.readRegion(r)).data)).toBe(true);
    } finally {
      await web.close();
    }
  }, 60_000);

  it('reads the TILED_SPARSE series (shuffled; two tiles omitted) equal to the local files', async () => {
    for (const [series, file] of [
      [SPARSE_ALL, 'level-2-all-frames-shuffled.dcm'],
      [SPARSE_TWO, 'level-2-two-tiles-omitted.dcm'],
    ] as const) {
      const web = await openDicomwebSeries(orthanc.seriesUrl(STUDY, series));
      const file_ = await openDicomSeries(shared('slides', 'dicom', 'tiled-sparse', file));
      try {
        expect(web.series.levels[0]!.organization).toBe('positions');
        expect(web.series.levels[0]!.tiles.size).toBe(file_.series.levels[0]!.tiles.size);
        const req = { x: 0, y: 0, width: 1025, height: 772, level: 0 };
        expect(same((await web.readRegion(req)).data, (await file_.readRegion(req)).data), series).toBe(true);
      } finally {
        await web.close();
        await file_.close();
      }
    }
  }, 30_000);

  it('a series that does not exist is E_NOT_FOUND naming the URL', async () => {
    const url = orthanc.seriesUrl(STUDY, '2.25.999');
    const err = await openDicomwebSeries(url).catch((e: unknown) => e);
    expect(isBlurmmError(err, 'E_NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain(`${url}/metadata`);
  });

  it('an unreachable port is E_NETWORK naming the URL, after the configured retries', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/dicom-web/studies/${STUDY}/series/${FULL}`;
    const err = await openDicomwebSeries(url, { http: { retries: 1, timeoutMs: 2000 }, backoffMs: 10 }).catch((e: unknown) => e);
    expect(isBlurmmError(err, 'E_NETWORK')).toBe(true);
    expect((err as Error).message).toContain(`${url}/metadata`);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect((err as Error).message).toMatch(/after 2 attempts/);
  });

  it('a server that hangs times out as E_NETWORK instead of hanging', async () => {
    proxy.fault.fn = (req) => req.url!.endsWith('/metadata'); // accept, never answer
    try {
      const url = `${proxy.url}/dicom-web/studies/${STUDY}/series/${FULL}`;
      const err = await openDicomwebSeries(url, { http: { retries: 1, timeoutMs: 300 }, backoffMs: 10 }).catch((e: unknown) => e);
      expect(isBlurmmError(err, 'E_NETWORK')).toBe(true);
      expect((err as Error).message).toMatch(/no complete answer within 300 ms/);
      expect((err as Error).message).toContain(url);
    } finally {
      proxy.fault.fn = undefined;
    }
  });

  it('retries 5xx answers with back-off and then reads the same pixels', async () => {
    let failures = 0;
    proxy.fault.fn = (req, res) => {
      if (!req.url!.includes('/frames/') || failures >= 3) return false;
      failures++;
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      res.end('busy');
      return true;
    };
    try {
      const web = await openDicomwebSeries(`${proxy.url}/dicom-web/studies/${STUDY}/series/${FULL}`, { http: { retries: 3 }, backoffMs: 5, framesPerRequest: 1 });
      const req = { x: 0, y: 0, width: 512, height: 512, level: 1 };
      expect(same((await web.readRegion(req)).data, (await local.readRegion(req)).data)).toBe(true);
      expect(failures).toBe(3);
      await web.close();
    } finally {
      proxy.fault.fn = undefined;
    }
  });

  it('a persistent 500 on one frame fails that read with E_NETWORK and status 500 naming the frame URL', async () => {
    proxy.fault.fn = (req, res) => {
      if (!req.url!.includes('/frames/1')) return false;
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('boom');
      return true;
    };
    try {
      const web = await openDicomwebSeries(`${proxy.url}/dicom-web/studies/${STUDY}/series/${FULL}`, { http: { retries: 1 }, backoffMs: 5, framesPerRequest: 1 });
      const err = await web.readRegion({ x: 0, y: 0, width: 10, height: 10, level: 4 }).catch((e: unknown) => e);
      expect(isBlurmmError(err, 'E_NETWORK')).toBe(true);
      expect((err as NetworkError).status).toBe(500);
      expect((err as Error).message).toMatch(/instances\/2\.25\.33139204692121641697915139650952057651\/frames\/1/);
      await web.close();
    } finally {
      proxy.fault.fn = undefined;
    }
  });

  it('a wrong content type for frames is E_NETWORK saying what was expected', async () => {
    proxy.fault.fn = (req, res) => {
      if (!req.url!.includes('/frames/')) return false;
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html>login</html>');
      return true;
    };
    try {
      const web = await openDicomwebSeries(`${proxy.url}/dicom-web/studies/${STUDY}/series/${FULL}`, { framesPerRequest: 1 });
      const err = await web.readRegion({ x: 0, y: 0, width: 10, height: 10, level: 4 }).catch((e: unknown) => e);
      expect(isBlurmmError(err, 'E_NETWORK')).toBe(true);
      expect((err as Error).message).toMatch(/Content-Type "text\/html", expected multipart\/related/);
      await web.close();
    } finally {
      proxy.fault.fn = undefined;
    }
  });

  it('sends the configured auth headers on every request', async () => {
    proxy.fault.fn = (req, res) => {
      if (req.headers.authorization === 'Bearer s3cret') return false;
      res.writeHead(401, { 'Content-Type': 'text/plain' });
      res.end('unauthorized');
      return true;
    };
    try {
      const url = `${proxy.url}/dicom-web/studies/${STUDY}/series/${FULL}`;
      const denied = await openDicomwebSeries(url).catch((e: unknown) => e);
      expect(isBlurmmError(denied, 'E_NETWORK')).toBe(true);
      expect((denied as NetworkError).status).toBe(401);
      expect((denied as Error).message).toMatch(/http\.headers/);
      const web = await openDicomwebSeries(url, { http: { headers: { Authorization: 'Bearer s3cret' } } });
      const req = { x: 0, y: 0, width: 256, height: 193, level: 4 };
      expect(same((await web.readRegion(req)).data, (await local.readRegion(req)).data)).toBe(true);
      await web.close();
    } finally {
      proxy.fault.fn = undefined;
    }
  });

  it('keeps at most maxInFlight requests in flight', async () => {
    proxy.stats.max = 0;
    const web = await openDicomwebSeries(`${proxy.url}/dicom-web/studies/${STUDY}/series/${FULL}`, { http: { maxInFlight: 2 }, framesPerRequest: 1, tileCacheBytes: 0 });
    const before = proxy.stats.total;
    const req = { x: 0, y: 0, width: 1024, height: 1024, level: 0 };
    expect(same((await web.readRegion(req)).data, (await local.readRegion(req)).data)).toBe(true);
    expect(proxy.stats.total - before).toBe(16); // 4 x 4 frames, one request each
    expect(proxy.stats.max).toBeLessThanOrEqual(2);
    expect(proxy.stats.max).toBe(2);
    await web.close();
  });

  it('batches frames into one request when asked (framesPerRequest)', async () => {
    const web = await openDicomwebSeries(`${proxy.url}/dicom-web/studies/${STUDY}/series/${FULL}`, { framesPerRequest: 8, tileCacheBytes: 0 });
    const before = proxy.stats.total;
    const req = { x: 0, y: 0, width: 1024, height: 1024, level: 0 };
    expect(same((await web.readRegion(req)).data, (await local.readRegion(req)).data)).toBe(true);
    expect(proxy.stats.total - before).toBeLessThan(16);
    await web.close();
  });
});
