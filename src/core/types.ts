/**
 * The contracts of blurmm, types only. Data flows one way:
 * SlideSource -> tiler (+ tissue mask) -> BlurEstimator(s) -> Router -> TileModel/ModelBackend(s)
 * -> Aggregator -> Writer(s).
 */

// ---------------------------------------------------------------- pixels

/** Interleaved 8-bit pixels, row-major, stride = width * channels, no padding. */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** 3 = RGB, 4 = RGBA */
  readonly channels: 3 | 4;
}

export interface Mpp {
  /** microns per pixel along x (columns) */
  readonly x: number;
  /** microns per pixel along y (rows) */
  readonly y: number;
}

// ---------------------------------------------------------------- source

export interface LevelInfo {
  readonly index: number;
  readonly width: number;
  readonly height: number;
  /** level-0 pixels per level pixel (OpenSlide's convention: mean of the x and y ratios) */
  readonly downsample: number;
  /** microns per pixel at this level, when the slide says */
  readonly mpp?: Mpp | undefined;
  /** native tile size of the level, when tiled */
  readonly tileWidth?: number | undefined;
  readonly tileHeight?: number | undefined;
}

export interface RegionRequest {
  /** left edge in level-0 pixel coordinates (may be negative) */
  readonly x: number;
  /** top edge in level-0 pixel coordinates (may be negative) */
  readonly y: number;
  /** width in pixels of `level` */
  readonly width: number;
  /** height in pixels of `level` */
  readonly height: number;
  readonly level: number;
  /** 3 (default): RGB, outside the image white. 4: RGBA, outside the image transparent (0,0,0,0) as OpenSlide. */
  readonly channels?: 3 | 4;
  readonly signal?: AbortSignal | undefined;
}

/**
 * A whole-slide image (or a plain image seen as a one-level slide). Lazy: opening reads
 * structure only; pixels are read per region on demand. Never holds the whole slide.
 */
export interface SlideSource {
  /** e.g. "png", "generic-tiff", "aperio", "ome-tiff", "dicom", "dicomweb" */
  readonly format: string;
  /** the file path or URL it was opened from */
  readonly path: string;
  /** level 0 */
  readonly width: number;
  readonly height: number;
  /** finest first; levels[0] is level 0 */
  readonly levels: readonly LevelInfo[];
  /** level-0 microns per pixel, when known */
  readonly mpp: Mpp | undefined;
  /** where mpp came from, e.g. "aperio MPP", "tiff XResolution (cm)", "unknown" */
  readonly mppSource: string;
  /** format properties in OpenSlide's style ("tiff.XResolution", "aperio.MPP", ...) */
  readonly properties: Readonly<Record<string, string>>;
  /** names of label/macro/thumbnail images kept out of the pyramid */
  readonly associatedImages: readonly string[];
  readRegion(request: RegionRequest): Promise<RgbImage>;
  readAssociatedImage?(name: string, options?: { signal?: AbortSignal }): Promise<RgbImage>;
  close(): Promise<void>;
}

export interface OpenSourceOptions {
  /** tile cache size in bytes (decoded pixels); 0 disables */
  readonly tileCacheBytes?: number;
  /** HTTP settings for remote sources */
  readonly http?: {
    readonly headers?: Readonly<Record<string, string>>;
    readonly maxInFlight?: number;
    readonly retries?: number;
    readonly timeoutMs?: number;
  };
  readonly signal?: AbortSignal | undefined;
  /** adapter-specific options */
  readonly [key: string]: unknown;
}

/** A named factory that opens sources of one family, registered with a priority. */
export interface SourceOpener {
  readonly name: string;
  /** cheap sniff: the target string and, for local files, the first 512 bytes */
  canOpen(target: string, head: Uint8Array | undefined): boolean;
  open(target: string, options: OpenSourceOptions): Promise<SlideSource>;
}

// ---------------------------------------------------------------- tiles

export type EdgePolicy = 'partial' | 'skip' | 'pad';

/** One tile of the grid. Extents are in level-0 pixels; `read*` says how it is read. */
export interface TileSpec {
  readonly index: number;
  readonly col: number;
  readonly row: number;
  /** level-0 extent (clipped to the image for partial edge tiles) */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** the level the pixels are read from */
  readonly level: number;
  /** size read at `level` */
  readonly readWidth: number;
  readonly readHeight: number;
  /** size handed to estimators and models (after resampling to the target mpp) */
  readonly outWidth: number;
  readonly outHeight: number;
  /** tissue fraction from the mask, 1 when no mask is used */
  readonly tissueFraction: number;
}

// ---------------------------------------------------------------- estimators

export interface EstimatorOutput {
  /** the key under which values appear in tile records, e.g. "lv" */
  readonly name: string;
  /** e.g. "gray-level^2", "sigma (level-0 px)", "relative score" */
  readonly unit: string;
  readonly direction: 'higher-is-sharper' | 'higher-is-blurrier';
  readonly description?: string;
}

export interface BlurEstimator {
  readonly name: string;
  readonly version: string;
  readonly outputs: readonly EstimatorOutput[];
  /** one record per tile, keyed by output name; values must be finite */
  estimate(tiles: readonly RgbImage[], options?: { signal?: AbortSignal }): Promise<Record<string, number>[]>;
  dispose?(): Promise<void>;
}

/** A named estimator factory (the registry holds these). */
export type BlurEstimatorFactory = (options: Record<string, unknown>) => BlurEstimator | Promise<BlurEstimator>;

// ---------------------------------------------------------------- models (Open Inference Protocol v2 shape)

export type TensorDatatype = 'BOOL' | 'UINT8' | 'INT8' | 'INT32' | 'INT64' | 'FP16' | 'FP32' | 'FP64';

export interface TensorMetadata {
  readonly name: string;
  readonly datatype: TensorDatatype;
  /** -1 for a dynamic dimension */
  readonly shape: readonly number[];
}

export interface ModelMetadata {
  readonly name: string;
  readonly versions?: readonly string[];
  /** e.g. "onnxruntime_onnx", "javascript" */
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
}

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

export interface InferTensor {
  readonly name: string;
  readonly datatype: TensorDatatype;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export interface InferRequest {
  readonly id?: string;
  readonly inputs: readonly InferTensor[];
  /** requested outputs; all when omitted */
  readonly outputs?: readonly { readonly name: string }[];
}

export interface InferResponse {
  readonly model_name: string;
  readonly model_version?: string;
  readonly id?: string;
  readonly outputs: readonly InferTensor[];
}

/** A loaded model, local or remote: ready / metadata / infer as in KServe's Open Inference Protocol v2. */
export interface ModelBackend {
  /** backend plugin name, e.g. "onnxruntime" */
  readonly backend: string;
  /** the model's id in the config */
  readonly modelId: string;
  ready(): Promise<boolean>;
  metadata(): Promise<ModelMetadata>;
  infer(request: InferRequest, options?: { signal?: AbortSignal }): Promise<InferResponse>;
  close(): Promise<void>;
}

export type ModelBackendFactory = (modelId: string, options: Record<string, unknown>) => Promise<ModelBackend>;

export interface Prediction {
  /** postprocessed output values (e.g. class probabilities) */
  readonly values: readonly number[];
  readonly labels?: readonly string[] | undefined;
  /** the value aggregated to the slide score (e.g. the positive-class probability) */
  readonly score: number;
}

/** A model with its preprocessing and postprocessing: tiles in, predictions out. */
export interface TileModel {
  readonly id: string;
  readonly backend: ModelBackend;
  predict(tiles: readonly RgbImage[], options?: { signal?: AbortSignal }): Promise<Prediction[]>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- routing

export interface Bound {
  readonly value: number;
  readonly inclusive: boolean;
}

/** `min <(=) values[output] <(=) max`; an omitted bound is open. */
export interface RouteCondition {
  readonly output: string;
  readonly min?: Bound | undefined;
  readonly max?: Bound | undefined;
}

export interface RouteRule {
  /** blur class label, e.g. "sharp", "moderate", "severe" */
  readonly label: string;
  /** all conditions must hold */
  readonly when: readonly RouteCondition[];
  /** model id, or null to record the route without predicting */
  readonly model: string | null;
  /** "#rrggbb", for overlays */
  readonly color?: string | undefined;
}

export interface RouteDecision {
  /** index of the matched rule; -1 for the fallback */
  readonly index: number;
  readonly label: string;
  readonly model: string | null;
}

export interface Router {
  readonly rules: readonly RouteRule[];
  readonly fallback: { readonly label: string; readonly model: string | null; readonly color?: string | undefined };
  route(blur: Readonly<Record<string, number>>): RouteDecision;
}

// ---------------------------------------------------------------- aggregation

export interface Aggregator {
  /** e.g. "p75", "mean", "max" */
  readonly name: string;
  /** null for an empty input */
  aggregate(values: readonly number[]): number | null;
}

// ---------------------------------------------------------------- results

export interface TileResult {
  readonly index: number;
  readonly col: number;
  readonly row: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly level: number;
  readonly tissueFraction: number;
  /** estimator outputs by name, e.g. { lv: 389.2 } */
  readonly blur: Readonly<Record<string, number>>;
  readonly route: RouteDecision;
  /** absent when the route has no model */
  readonly prediction?: (Prediction & { readonly model: string }) | undefined;
}

export type TileStage = 'read' | 'estimate' | 'route' | 'predict' | 'write';

export interface TileFailure {
  readonly index: number;
  readonly col: number;
  readonly row: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly stage: TileStage;
  readonly code: string;
  readonly message: string;
}

export interface SlideWarning {
  readonly code: string;
  readonly message: string;
}

export interface ScoreSet {
  /** aggregator name -> value (null when no tile had a prediction) */
  readonly [aggregator: string]: number | null;
}

export interface SlideReport {
  readonly blurmmVersion: string;
  readonly slide: {
    readonly path: string;
    readonly format: string;
    readonly width: number;
    readonly height: number;
    readonly mpp: Mpp | null;
    readonly levels: readonly LevelInfo[];
  };
  readonly tiling: {
    readonly tileSize: number;
    readonly overlap: number;
    readonly level: number;
    readonly targetMpp: number | null;
    readonly edge: EdgePolicy;
    readonly gridColumns: number;
    readonly gridRows: number;
    readonly tissueMask: { readonly enabled: boolean; readonly threshold: number | null; readonly minTissueFraction: number; readonly thumbnailWidth: number; readonly thumbnailHeight: number } ;
  };
  readonly estimators: readonly { readonly name: string; readonly version: string; readonly outputs: readonly EstimatorOutput[] }[];
  readonly routing: {
    readonly rules: readonly RouteRule[];
    readonly fallback: Router['fallback'];
    /** route label -> tile count */
    readonly counts: Readonly<Record<string, number>>;
    /** route label -> fraction of processed tiles */
    readonly fractions: Readonly<Record<string, number>>;
  };
  readonly models: readonly { readonly id: string; readonly backend: string; readonly version?: string; readonly tiles: number }[];
  readonly counts: {
    readonly gridTiles: number;
    readonly backgroundSkipped: number;
    readonly edgeSkipped: number;
    /** tissue tiles whose centre lies outside the regions of interest (0 without regions) */
    readonly outsideRegionSkipped: number;
    readonly processed: number;
    readonly failed: number;
  };
  readonly scores: {
    readonly overall: ScoreSet;
    readonly perRoute: Readonly<Record<string, ScoreSet>>;
  };
  readonly tiles: readonly TileResult[];
  readonly failures: readonly TileFailure[];
  readonly warnings: readonly SlideWarning[];
  readonly timings: Readonly<Record<string, number>>;
  readonly versions: Readonly<Record<string, string>>;
  readonly aborted: boolean;
}

// ---------------------------------------------------------------- writers

export interface WriterContext {
  readonly source: SlideSource;
  readonly estimators: readonly BlurEstimator[];
  readonly router: Router;
  readonly signal?: AbortSignal | undefined;
}

/** Streams tile results somewhere (GeoJSON, heatmap, ...). `close` gets the final report. */
export interface Writer {
  readonly name: string;
  open(context: WriterContext): Promise<void>;
  write(tile: TileResult): Promise<void> | void;
  close(report: SlideReport): Promise<void>;
  /** called instead of close when the run fails; must leave no partial file behind */
  abort?(reason: unknown): Promise<void>;
}
