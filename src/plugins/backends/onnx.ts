/**
 * onnxruntime-node as a {@link ModelBackend} in the Open Inference Protocol v2 shape
 * (ready / metadata / infer). onnxruntime-node is loaded on first use.
 */
import { readFile, stat } from 'node:fs/promises';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { BackendError, ModelError, NotFoundError, UnsupportedError, invalidArgument, throwIfAborted } from '../../core/errors.js';
import type { InferRequest, InferResponse, InferTensor, ModelBackend, ModelMetadata, TensorData, TensorDatatype, TensorMetadata } from '../../core/types.js';
import { loadOnnxRuntime } from '../onnx/load-ort.js';

export interface OnnxBackendOptions {
  /** path of the .onnx file */
  path: string;
  intraOpThreads?: number;
  interOpThreads?: number;
  /** e.g. ["cpu"]; default onnxruntime's (cpu) */
  executionProviders?: string[];
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

const fromOrt: Partial<Record<Tensor.Type, TensorDatatype>> = {
  float32: 'FP32',
  float64: 'FP64',
  float16: 'FP16',
  uint8: 'UINT8',
  int8: 'INT8',
  int32: 'INT32',
  int64: 'INT64',
  bool: 'BOOL',
};
const toOrt: Partial<Record<TensorDatatype, Tensor.Type>> = {
  FP32: 'float32',
  FP64: 'float64',
  UINT8: 'uint8',
  INT8: 'int8',
  INT32: 'int32',
  INT64: 'int64',
  BOOL: 'bool',
};
const arrayFor: Partial<Record<TensorDatatype, new (...args: never[]) => TensorData>> = {
  FP32: Float32Array,
  FP64: Float64Array,
  UINT8: Uint8Array,
  INT8: Int8Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  BOOL: Uint8Array,
};

function describeMeta(path: string, list: readonly InferenceSession.ValueMetadata[], kind: string): TensorMetadata[] {
  return list.map((m) => {
    if (!m.isTensor) throw new UnsupportedError(`The ONNX model ${path} has a non-tensor ${kind} "${m.name}" (sequence or map); blurmm needs tensor inputs and outputs.`, { path });
    const datatype = fromOrt[m.type];
    if (!datatype) throw new UnsupportedError(`The ONNX model ${path} has ${kind} "${m.name}" of type ${m.type}, which blurmm does not handle.`, { path });
    return { name: m.name, datatype, shape: m.shape.map((d) => (typeof d === 'number' && d > 0 ? d : -1)) };
  });
}

function checkThreads(name: string, v: unknown): void {
  if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= 0)) throw invalidArgument(name, 'a non-negative integer (0 = onnxruntime default)', v);
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.map((d) => (d < 0 ? '?' : String(d))).join(', ')}]`;
}

/**
 * Opens an ONNX model with onnxruntime-node. A missing file throws {@link NotFoundError}; a file
 * onnxruntime cannot load (not ONNX, truncated, unsupported opset) throws {@link ModelError}
 * naming the file.
 *
 * @example
 * const backend = await createOnnxBackend('base', { path: 'examples/demo/models/base.onnx', intraOpThreads: 1 });
 * const meta = await backend.metadata(); // inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 256, 256] }]
 */
export async function createOnnxBackend(modelId: string, opts: OnnxBackendOptions | Readonly<Record<string, unknown>>): Promise<ModelBackend> {
  if (typeof modelId !== 'string' || modelId.length === 0) throw invalidArgument('modelId', 'a non-empty model id', modelId);
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('options', 'an object', opts);
  // checked field by field below
  const options = opts as OnnxBackendOptions;
  const { path } = options;
  if (typeof path !== 'string' || path.length === 0) throw invalidArgument(`models[${modelId}].path`, 'the path of an .onnx file', path);
  checkThreads('intraOpThreads', options.intraOpThreads);
  checkThreads('interOpThreads', options.interOpThreads);
  if (options.executionProviders !== undefined && !(Array.isArray(options.executionProviders) && options.executionProviders.every((e) => typeof e === 'string'))) {
    throw invalidArgument('executionProviders', 'an array of execution provider names such as ["cpu"]', options.executionProviders);
  }
  const levels = ['disabled', 'basic', 'extended', 'all'];
  if (options.graphOptimizationLevel !== undefined && !levels.includes(options.graphOptimizationLevel)) {
    throw invalidArgument('graphOptimizationLevel', 'one of "disabled", "basic", "extended", "all"', options.graphOptimizationLevel);
  }

  const info = await stat(path).catch((cause: unknown) => {
    throw new NotFoundError(`Model "${modelId}": cannot open ${path}: no such file. Check models[].path in the config (relative paths resolve from the config file).`, { path, plugin: modelId, cause });
  });
  if (!info.isFile()) throw new NotFoundError(`Model "${modelId}": ${path} is not a file. Point models[].path at an .onnx file.`, { path, plugin: modelId });
  const bytes = await readFile(path);
  const ort = await loadOnnxRuntime();
  const sessionOptions: InferenceSession.SessionOptions = {
    ...(options.intraOpThreads !== undefined ? { intraOpNumThreads: options.intraOpThreads } : {}),
    ...(options.interOpThreads !== undefined ? { interOpNumThreads: options.interOpThreads } : {}),
    ...(options.executionProviders !== undefined ? { executionProviders: options.executionProviders } : {}),
    ...(options.graphOptimizationLevel !== undefined ? { graphOptimizationLevel: options.graphOptimizationLevel } : {}),
  };
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), sessionOptions);
  } catch (cause) {
    const msg = (cause as Error).message ?? String(cause);
    throw new ModelError(
      `Model "${modelId}": ${path} is not an ONNX model that onnxruntime ${ort.env.versions.common ?? ''} can load (${msg.split('\n')[0]}). Export the model to ONNX (e.g. torch.onnx.export) and point models[].path at the .onnx file.`,
      { path, plugin: modelId, cause },
    );
  }
  const metadata: ModelMetadata = {
    name: modelId,
    platform: 'onnxruntime_onnx',
    inputs: describeMeta(path, session.inputMetadata, 'input'),
    outputs: describeMeta(path, session.outputMetadata, 'output'),
  };
  let closed = false;

  function toTensor(t: InferTensor): Tensor {
    const spec = metadata.inputs.find((i) => i.name === t.name);
    if (!spec) throw new BackendError(`Model "${modelId}" has no input "${t.name}"; its inputs are ${metadata.inputs.map((i) => `"${i.name}"`).join(', ')}.`, { plugin: modelId, path });
    if (t.datatype !== spec.datatype) throw new BackendError(`Model "${modelId}" input "${t.name}" is ${spec.datatype}, but the request sends ${t.datatype}.`, { plugin: modelId, path });
    const fits = t.shape.length === spec.shape.length && spec.shape.every((d, i) => d < 0 || d === t.shape[i]);
    if (!fits) throw new BackendError(`Model "${modelId}" input "${t.name}" has shape ${shapeText(spec.shape)}, but the request sends ${shapeText(t.shape)}.`, { plugin: modelId, path });
    const n = t.shape.reduce((a, b) => a * b, 1);
    const Ctor = arrayFor[t.datatype];
    if (n !== t.data.length || !Ctor || !(t.data instanceof Ctor)) {
      throw new BackendError(`Model "${modelId}" input "${t.name}": shape ${shapeText(t.shape)} needs ${n} values in a ${Ctor?.name ?? t.datatype}, got ${t.data.length} in a ${t.data.constructor.name}.`, { plugin: modelId, path });
    }
    const type = toOrt[t.datatype];
    if (!type) throw new UnsupportedError(`Model "${modelId}": datatype ${t.datatype} is not supported by the onnxruntime backend.`, { plugin: modelId });
    return new ort.Tensor(type, t.data as Tensor.DataTypeMap[typeof type], t.shape);
  }

  return {
    backend: 'onnxruntime',
    modelId,
    ready: () => Promise.resolve(!closed),
    metadata: () => Promise.resolve(metadata),
    async infer(request: InferRequest, opts?: { signal?: AbortSignal }): Promise<InferResponse> {
      if (closed) throw new BackendError(`Model "${modelId}" (${path}) is closed.`, { plugin: modelId, path });
      throwIfAborted(opts?.signal, `inference of model "${modelId}"`);
      const feeds: Record<string, Tensor> = {};
      for (const t of request.inputs) feeds[t.name] = toTensor(t);
      const missing = metadata.inputs.filter((i) => !(i.name in feeds));
      if (missing.length) throw new BackendError(`Model "${modelId}" needs input(s) ${missing.map((m) => `"${m.name}"`).join(', ')}, which the request does not send.`, { plugin: modelId, path });
      const names = request.outputs?.map((o) => o.name) ?? metadata.outputs.map((o) => o.name);
      for (const name of names) {
        if (!metadata.outputs.some((o) => o.name === name)) throw new BackendError(`Model "${modelId}" has no output "${name}"; its outputs are ${metadata.outputs.map((o) => `"${o.name}"`).join(', ')}.`, { plugin: modelId, path });
      }
      let results: InferenceSession.ReturnType;
      try {
        results = await session.run(feeds, names);
      } catch (cause) {
        throw new BackendError(`Model "${modelId}" (${path}) failed in onnxruntime: ${((cause as Error).message ?? String(cause)).split('\n')[0]}`, { plugin: modelId, path, cause });
      }
      throwIfAborted(opts?.signal, `inference of model "${modelId}"`);
      const outputs: InferTensor[] = names.map((name) => {
        const r = results[name]!;
        const datatype = fromOrt[r.type];
        if (!datatype || datatype === 'FP16') throw new UnsupportedError(`Model "${modelId}" output "${name}" is ${r.type}, which blurmm does not read; make the model output float32.`, { plugin: modelId, path });
        return { name, datatype, shape: [...r.dims], data: r.data as TensorData };
      });
      return { model_name: modelId, ...(request.id !== undefined ? { id: request.id } : {}), outputs };
    },
    async close() {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}
