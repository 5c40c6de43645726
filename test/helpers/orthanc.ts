/**
 * A throwaway Orthanc with the DICOMweb plugin for tests and the bench: Debian's `orthanc` and
 * `orthanc-dicomweb` packages, on a free loopback port, with config and storage in a temp dir.
 * Stopped by the PID of the child it started (never by name), then the temp dir is removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ORTHANC_BIN = process.env.ORTHANC_BIN ?? '/usr/sbin/Orthanc';
export const DICOMWEB_PLUGIN = process.env.DICOMWEB_PLUGIN ?? '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
export const hasOrthanc = existsSync(ORTHANC_BIN) && existsSync(DICOMWEB_PLUGIN);
/** The message a test prints when it skips for want of Orthanc. */
export const orthancSkipMessage = `skipped: Orthanc with DICOMweb not found (${ORTHANC_BIN}, ${DICOMWEB_PLUGIN}); install the Debian packages: apt-get install -y orthanc orthanc-dicomweb`;

if (!hasOrthanc) process.stderr.write(`[blurmm tests] ${orthancSkipMessage}\n`);

export interface OrthancServer {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** http://127.0.0.1:PORT/dicom-web */
  readonly dicomweb: string;
  readonly workdir: string;
  /** POSTs DICOM files (folders: every *.dcm inside) to /instances; returns the count */
  upload(...paths: string[]): Promise<number>;
  /** series URL for a study/series pair */
  seriesUrl(study: string, series: string): string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (bind to 0, read, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(url: string, child: ChildProcess, log: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) {
      const text = await readFile(log, 'utf8').catch(() => '');
      throw new Error(`Orthanc exited during start-up (code ${child.exitCode}):\n${text.slice(-2000)}`);
    }
    try {
      const r = await fetch(`${url}/system`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`Orthanc did not answer at ${url} within ${timeoutMs} ms`);
}

async function dcmFiles(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  return (await readdir(path)).filter((n) => n.endsWith('.dcm')).sort().map((n) => join(path, n));
}

/**
 * Starts Orthanc + DICOMweb on a free loopback port and uploads `files` (files or folders).
 * Only loopback clients are served (RemoteAccessAllowed false); the DIMSE server is off.
 */
export async function startOrthanc(files: readonly string[] = [], options: { timeoutMs?: number } = {}): Promise<OrthancServer> {
  const workdir = await mkdtemp(join(tmpdir(), 'blurmm-orthanc-'));
  const port = await freePort();
  const config = {
    Name: `blurmm-test-${port}`,
    StorageDirectory: join(workdir, 'storage'),
    IndexDirectory: join(workdir, 'storage'),
    StorageCompression: false,
    HttpServerEnabled: true,
    HttpPort: port,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    SslEnabled: false,
    DicomServerEnabled: false,
    HttpThreadsCount: 8,
    SaveJobs: false,
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: true, WadoRoot: '/wado', Ssl: false },
  };
  const configPath = join(workdir, 'orthanc.json');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const logPath = join(workdir, 'stdout.log');
  const { openSync, closeSync } = await import('node:fs');
  const fd = openSync(logPath, 'w');
  const child = spawn(ORTHANC_BIN, [configPath], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(workdir, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(url, child, logPath, options.timeoutMs ?? 60_000);
    const probe = await fetch(`${url}/dicom-web/studies`);
    if (!probe.ok) throw new Error(`Orthanc runs but the DICOMweb plugin does not answer (${probe.status})`);
  } catch (err) {
    await stop();
    throw err;
  }
  const upload = async (...paths: string[]): Promise<number> => {
    let n = 0;
    for (const p of paths) {
      for (const f of await dcmFiles(p)) {
        const r = await fetch(`${url}/instances`, { method: 'POST', headers: { 'Content-Type': 'application/dicom' }, body: await readFile(f) });
        if (!r.ok) throw new Error(`upload of ${f} to Orthanc failed: ${r.status} ${await r.text()}`);
        n++;
      }
    }
    return n;
  };
  await upload(...files).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return {
    port,
    url,
    dicomweb: `${url}/dicom-web`,
    workdir,
    upload,
    seriesUrl: (study, series) => `${url}/dicom-web/studies/${study}/series/${series}`,
    stop,
  };
}
