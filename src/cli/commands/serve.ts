/**
 * `blurmm serve`: the local HTTP service (src/adapters/server) over the real API (src/api.ts).
 */
import { num } from '../args.js';
import { EXIT, type CliCommand } from '../command.js';
import { ArgumentError } from '../../core/errors.js';
import type { ServerHandlers } from '../../adapters/server/index.js';

export const command: CliCommand = {
  name: 'serve',
  summary: 'Serve info / estimate / analyze over local HTTP (JSON in, JSON or GeoJSON out) for QuPath and other platforms',
  usage: [
    'blurmm serve --port P [--host 127.0.0.1] --root DIR [--root DIR ...] [--max-body BYTES] [--max-concurrent N] [--allow-urls]',
    '  --port P            TCP port (0 = any free port)',
    '  --host H            bind address (default 127.0.0.1, loopback only; anything else exposes the service)',
    '  --root DIR          a folder the server may read slides from and write outputs to (repeatable; default: the working directory)',
    '  --max-body BYTES    request body limit (default 1048576)',
    '  --max-concurrent N  analyses at once; more get HTTP 503 (default 1)',
    '  --allow-urls        accept http(s) slide URLs (DICOMweb)',
    'Routes: GET /v1/health; POST /v1/info {path}; POST /v1/estimate {path, estimators?, tileSize?, mpp?, level?, tissueMask?, format?};',
    '        POST /v1/analyze {path, config?, outDir?, format?: "json"|"geojson", objectType?, classification?}',
  ].join('\n'),
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    root: { type: 'string', multiple: true },
    'max-body': { type: 'string' },
    'max-concurrent': { type: 'string' },
    'allow-urls': { type: 'boolean' },
  },
  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw new ArgumentError(`blurmm serve takes no positional arguments (got ${positionals.join(' ')}); name folders with --root`);
    if (values.port === undefined) throw new ArgumentError('blurmm serve needs --port P (use 0 for any free port)', { pointer: '--port' });
    const port = num(values, 'port', { int: true, min: 0, max: 65535 })!;
    const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
    const roots = Array.isArray(values.root) ? values.root.filter((r): r is string => typeof r === 'string') : typeof values.root === 'string' ? [values.root] : [process.cwd()];
    const api = (await import('../../api.js')) as unknown as ServerHandlers;
    const { createBlurmmServer } = await import('../../adapters/server/index.js');
    const server = createBlurmmServer({
      host,
      port,
      roots,
      handlers: { info: api.info, estimate: api.estimate, analyze: api.analyze },
      maxBodyBytes: num(values, 'max-body', { int: true, min: 256, max: 1 << 30 }) ?? 1 << 20,
      maxConcurrent: num(values, 'max-concurrent', { int: true, min: 1, max: 64 }) ?? 1,
      allowUrls: values['allow-urls'] === true,
    });
    const { url } = await server.listen();
    if (!['127.0.0.1', 'localhost', '::1'].includes(host)) io.stderr.write(`warning: listening on ${host}, not loopback: anyone who can reach this address can run analyses on files under the roots\n`);
    io.stdout.write(`blurmm serve listening on ${url} (roots: ${roots.join(', ')})\n`);
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await server.close();
    return EXIT.ok;
  },
};
