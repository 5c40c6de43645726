/**
 * Typed errors with stable codes. Every error blurmm throws is a {@link BlurmmError};
 * test with {@link isBlurmmError}, never by message text.
 */
export type BlurmmErrorCode =
  | 'E_ARGUMENT' // a bad argument to an API function (message names the argument)
  | 'E_CONFIG' // config failed schema validation (message names the JSON pointer)
  | 'E_NOT_FOUND' // a file, URL or registry entry does not exist
  | 'E_FORMAT' // a file is not of a supported format
  | 'E_CORRUPT' // a file of a supported format is damaged (truncated, bad offsets)
  | 'E_UNSUPPORTED' // a valid variant blurmm does not (yet) support
  | 'E_DECODE' // a codec failed on one tile/frame
  | 'E_NETWORK' // a remote server failed or did not answer
  | 'E_MODEL' // a model could not be loaded or does not fit its declared preprocessing
  | 'E_ESTIMATOR' // an estimator failed or returned a non-finite value
  | 'E_BACKEND' // a model backend failed at inference
  | 'E_IO' // writing output failed
  | 'E_ABORTED' // the operation was aborted through its AbortSignal
  | 'E_REGISTRY' // no registered plugin could serve (cause lists each failure)
  | 'E_DEPENDENCY'; // an optional native dependency failed to load

export interface BlurmmErrorDetails {
  /** file path or URL the error is about */
  readonly path?: string;
  /** JSON pointer (config) or field name */
  readonly pointer?: string;
  /** plugin name (estimator, backend, source) */
  readonly plugin?: string;
  /** tile/frame/page locator, free form (e.g. "level 0, tile (3, 4)") */
  readonly location?: string;
  readonly cause?: unknown;
  /** extra structured data */
  readonly data?: Readonly<Record<string, unknown>>;
}

export class BlurmmError extends Error {
  readonly code: BlurmmErrorCode;
  readonly path: string | undefined;
  readonly pointer: string | undefined;
  readonly plugin: string | undefined;
  readonly location: string | undefined;
  readonly data: Readonly<Record<string, unknown>> | undefined;

  constructor(code: BlurmmErrorCode, message: string, details: BlurmmErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.path = details.path;
    this.pointer = details.pointer;
    this.plugin = details.plugin;
    this.location = details.location;
    this.data = details.data;
  }
}

export class ArgumentError extends BlurmmError {
  constructor(message: string, details: BlurmmErrorDetails = {}) {
    super('E_ARGUMENT', message, details);
  }
}
export class ConfigError extends BlurmmError {
  /** every validation problem, each with its JSON pointer */
  readonly issues: readonly { pointer: string; message: string }[];
  constructor(message: string, issues: readonly { pointer: string; message: string }[], details: BlurmmErrorDetails = {}) {
    const pointer = details.pointer ?? issues[0]?.pointer;
    super('E_CONFIG', message, pointer === undefined ? details : { ...details, pointer });
    this.issues = issues;
  }
}
export class NotFoundError extends BlurmmError {
  constructor(message: string, details: BlurmmErrorDetails = {}) {
    super('E_NOT_FOUND', message, details);
  }
}
export class FormatError extends BlurmmError {
  constructor(message: string, details: BlurmmErrorDetails = {}) {
    super('E_FORMAT', message, details);
  }
}
export class CorruptFileError extends BlurmmError {
  constructor(message: string, details: BlurmmErrorDetails = {}) {
    super('E_CORRUPT', message, details);
  }
}
export class UnsupportedError extends BlurmmError {
  constructor(message: string, details: BlurmmErrorDetails = {}) {
    super('E_UNSUPPORTED', message, details);
  }
}
export class DecodeError extends BlurmmError {
  constructor(message: string, details: BlurmmErrorDetails = {}) {
    super('E_DECODE', message, details);
  }
}
export class NetworkError extends BlurmmError {
  /** HTTP status when the server answered */
  readonly status: number | undefined;
  constructor(message: string, details: BlurmmErrorDetails & { status?: number } = {}) {
    super('E_NETWORK', message, details);
    this.status = details.status;
  }
}
export class ModelError extends BlurmmError {
  constructor(message: string, details: BlurmmErrorDetails = {}) {
    super('E_MODEL', message, details);
  }
}
export class EstimatorError extends BlurmmError {
  constructor(message: string, details: BlurmmErrorDetails = {}) {
    super('E_ESTIMATOR', message, details);
  }
}
export class BackendError extends BlurmmError {
  constructor(message: string, details: BlurmmErrorDetails = {}) {
    super('E_BACKEND', message, details);
  }
}
export class OutputError extends BlurmmError {
  constructor(message: string, details: BlurmmErrorDetails = {}) {
    super('E_IO', message, details);
  }
}
export class AbortError extends BlurmmError {
  constructor(message = 'The operation was aborted', details: BlurmmErrorDetails = {}) {
    super('E_ABORTED', message, details);
  }
}
export class RegistryError extends BlurmmError {
  /** one entry per plugin that was tried, with why it failed */
  readonly failures: readonly { name: string; cause: unknown }[];
  constructor(message: string, failures: readonly { name: string; cause: unknown }[] = [], details: BlurmmErrorDetails = {}) {
    super('E_REGISTRY', message, details);
    this.failures = failures;
  }
}
export class DependencyError extends BlurmmError {
  constructor(message: string, details: BlurmmErrorDetails = {}) {
    super('E_DEPENDENCY', message, details);
  }
}

/** True when `err` is a blurmm error, optionally of one of the given codes. */
export function isBlurmmError(err: unknown, ...codes: BlurmmErrorCode[]): err is BlurmmError {
  return err instanceof BlurmmError && (codes.length === 0 || codes.includes(err.code));
}

/** Throws {@link AbortError} when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what = 'operation'): void {
  if (signal?.aborted) throw new AbortError(`The ${what} was aborted`, { cause: signal.reason });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `"${value.length > 60 ? value.slice(0, 57) + '...' : value}" of type string`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `${String(value)} of type ${typeof value}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `a value of type ${typeof value}`;
}

/**
 * One template for bad arguments (after sharp): "Expected {what} for {name} but received {value}".
 */
export function invalidArgument(name: string, what: string, value: unknown): ArgumentError {
  return new ArgumentError(`Expected ${what} for ${name} but received ${describe(value)}`, { pointer: name });
}
