/**
 * A minimal DICOMweb (WADO-RS) client on Node's fetch: bounded requests in flight, a timeout per
 * attempt, retries with exponential back-off on 5xx/429/408, network errors and timeouts, and
 * configured headers (e.g. Authorization) on every request.
 */
import { AbortError, NetworkError, NotFoundError } from '../../core/errors.js';

export interface DicomwebClientOptions {
  /** extra request headers, e.g. `{ Authorization: 'Bearer ...' }` */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** requests in flight at once (default 6) */
  readonly maxInFlight?: number | undefined;
  /** retries after the first attempt (default 3) */
  readonly retries?: number | undefined;
  /** per-attempt timeout, covering the body too (default 30000 ms) */
  readonly timeoutMs?: number | undefined;
  /** first back-off delay (default 200 ms; doubled per retry, capped at 5 s, with jitter) */
  readonly backoffMs?: number | undefined;
}

export interface HttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
}

/** Counts kept for tests and the bench. */
export interface ClientStats {
  requests: number;
  retries: number;
  maxObservedInFlight: number;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError('The DICOMweb request was aborted', { cause: signal.reason }));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new AbortError('The DICOMweb request was aborted', { cause: signal?.reason }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Shared client for one DICOMweb server. */
export class DicomwebClient {
  readonly headers: Readonly<Record<string, string>>;
  readonly maxInFlight: number;
  readonly retries: number;
  readonly timeoutMs: number;
  readonly backoffMs: number;
  readonly stats: ClientStats = { requests: 0, retries: 0, maxObservedInFlight: 0 };
  #inFlight = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(options: DicomwebClientOptions = {}) {
    this.headers = options.headers ?? {};
    this.maxInFlight = Math.max(1, Math.trunc(options.maxInFlight ?? 6));
    this.retries = Math.max(0, Math.trunc(options.retries ?? 3));
    this.timeoutMs = Math.max(1, options.timeoutMs ?? 30_000);
    this.backoffMs = Math.max(0, options.backoffMs ?? 200);
  }

  async #acquire(): Promise<void> {
    if (this.#inFlight < this.maxInFlight) {
      this.#inFlight++;
    } else {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.stats.maxObservedInFlight = Math.max(this.stats.maxObservedInFlight, this.#inFlight);
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next(); // hand the slot over
    else this.#inFlight--;
  }

  /**
   * GET `url` with `accept`, retrying transient failures. 2xx returns the body; 404 throws
   * NotFoundError; other statuses and failures throw NetworkError naming the URL and status.
   */
  async get(url: string, accept: string, signal?: AbortSignal): Promise<HttpResponse> {
    let lastError: NetworkError | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) {
        this.stats.retries++;
        const delay = Math.min(5000, this.backoffMs * 2 ** (attempt - 1));
        await sleep(delay * (0.75 + 0.5 * Math.random()), signal);
      }
      if (signal?.aborted) throw new AbortError('The DICOMweb request was aborted', { cause: signal.reason });
      await this.#acquire();
      let retryable = false;
      try {
        this.stats.requests++;
        const timeout = AbortSignal.timeout(this.timeoutMs);
        const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
        let response: Response;
        let body: Uint8Array;
        try {
          response = await fetch(url, { headers: { ...this.headers, Accept: accept }, signal: combined });
          body = new Uint8Array(await response.arrayBuffer());
        } catch (cause) {
          if (signal?.aborted) throw new AbortError('The DICOMweb request was aborted', { cause: signal.reason });
          const timedOut = timeout.aborted;
          const reason = timedOut ? `no complete answer within ${this.timeoutMs} ms` : describeFetchError(cause);
          retryable = true;
          lastError = new NetworkError(`DICOMweb request to ${url} failed: ${reason}. Check that the server runs and the URL is right${timedOut ? ', or raise http.timeoutMs' : ''}.`, {
            path: url,
            cause,
          });
          continue;
        }
        const contentType = response.headers.get('content-type') ?? '';
        if (response.ok) return { status: response.status, contentType, body };
        const text = new TextDecoder().decode(body.subarray(0, 300)).replace(/\s+/g, ' ').trim();
        if (response.status === 404) {
          throw new NotFoundError(`DICOMweb server answered 404 Not Found for ${url}${text ? ` (${text})` : ''}. Check the study, series and instance UIDs and the DICOMweb root.`, { path: url });
        }
        retryable = response.status >= 500 || response.status === 429 || response.status === 408;
        lastError = new NetworkError(
          `DICOMweb server answered ${response.status} ${response.statusText} for ${url}${text ? ` (${text})` : ''}${response.status === 401 || response.status === 403 ? '; set http.headers (e.g. Authorization) for this server' : ''}.`,
          { path: url, status: response.status },
        );
        if (!retryable) throw lastError;
      } finally {
        this.#release();
      }
      if (!retryable) break;
    }
    throw new NetworkError(`${lastError?.message ?? `DICOMweb request to ${url} failed`} (gave up after ${this.retries + 1} attempts)`, {
      path: url,
      cause: lastError,
      ...(lastError?.status === undefined ? {} : { status: lastError.status }),
    });
  }
}

function describeFetchError(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as Error & { cause?: unknown }).cause;
    const code = inner && typeof inner === 'object' && 'code' in inner ? String((inner as { code: unknown }).code) : undefined;
    return code ? `${cause.message} (${code})` : cause.message;
  }
  return String(cause);
}
