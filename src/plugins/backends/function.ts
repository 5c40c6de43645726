/**
 * A {@link ModelBackend} around a JavaScript function, for platforms that run inference
 * themselves (their own runtime, a GPU service, a web worker). Requests and responses are
 * checked against the declared metadata, so a wrong response is a clear error, not a bad score.
 */
import { BackendError, BlurmmError, ModelError, invalidArgument, throwIfAborted } from '../../core/errors.js';
import type { InferRequest, InferResponse, InferTensor, ModelBackend, ModelMetadata, TensorData, TensorDatatype, TensorMetadata } from '../../core/types.js';

export interface FunctionBackendOptions {
  /** the model's tensors, as an inference server would declare them */
  metadata: ModelMetadata;
  /** runs one request; may be async */
  infer: (request: InferRequest) => InferResponse | Promise<InferResponse>;
}

const datatypes: readonly TensorDatatype[] = ['BOOL', 'UINT8', 'INT8', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64'];
const arrayNames: Record<TensorDatatype, readonly string[]> = {
  BOOL: ['Uint8Array'],
  UINT8: ['Uint8Array'],
  INT8: ['Int8Array'],
  INT32: ['Int32Array'],
  INT64: ['BigInt64Array'],
  FP16: ['Uint16Array'],
  FP32: ['Float32Array'],
  FP64: ['Float64Array'],
};

function shapeText(shape: readonly number[]): string {
  return `[${shape.map((d) => (d < 0 ? '?' : String(d))).join(', ')}]`;
}

function checkMetadataList(modelId: string, list: unknown, field: string): void {
  if (!Array.isArray(list) || list.length === 0) throw invalidArgument(`metadata.${field}`, `a non-empty array of tensor metadata for model "${modelId}"`, list);
  list.forEach((t: unknown, i) => {
    const m = t as TensorMetadata;
    const ok =
      typeof m === 'object' &&
      m !== null &&
      typeof m.name === 'string' &&
      m.name.length > 0 &&
      datatypes.includes(m.datatype) &&
      Array.isArray(m.shape) &&
      m.shape.every((d) => Number.isInteger(d) && (d > 0 || d === -1));
    if (!ok) throw invalidArgument(`metadata.${field}[${i}]`, '{ name, datatype (FP32, UINT8, ...), shape (positive integers, -1 for dynamic) }', t);
  });
}

/** Checks one tensor against its metadata; returns a problem or undefined. */
function tensorProblem(t: InferTensor, spec: TensorMetadata): string | undefined {
  if (t.datatype !== spec.datatype) return `is ${t.datatype}, declared ${spec.datatype}`;
  if (!Array.isArray(t.shape) || t.shape.length !== spec.shape.length || !spec.shape.every((d, i) => d < 0 || d === t.shape[i])) {
    return `has shape ${Array.isArray(t.shape) ? shapeText(t.shape) : String(t.shape)}, declared ${shapeText(spec.shape)}`;
  }
  const n = t.shape.reduce((a, b) => a * b, 1);
  const ctor = (t.data as TensorData | undefined)?.constructor?.name ?? typeof t.data;
  if (!arrayNames[t.datatype].includes(ctor)) return `holds a ${ctor}; ${t.datatype} data goes in a ${arrayNames[t.datatype].join(' or ')}`;
  if (t.data.length !== n) return `has ${t.data.length} values for shape ${shapeText(t.shape)} (${n} expected)`;
  return undefined;
}

/**
 * Wraps a JavaScript inference function as a backend. Requests must match `metadata.inputs`;
 * responses must carry the requested outputs with the declared datatypes and shapes (-1 matches
 * any size), the batch size first, and as many values as the shape says. A mismatch throws a
 * {@link BackendError} naming the model and the tensor.
 *
 * @example
 * const backend = await createFunctionBackend('mine', {
 *   metadata: { name: 'mine', platform: 'javascript',
 *     inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224] }],
 *     outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 2] }] },
 *   infer: async (req) => ({ model_name: 'mine', outputs: [{ name: 'logits', datatype: 'FP32', shape: [n, 2], data }] }),
 * });
 */
export async function createFunctionBackend(modelId: string, opts: FunctionBackendOptions | Readonly<Record<string, unknown>>): Promise<ModelBackend> {
  if (typeof modelId !== 'string' || modelId.length === 0) throw invalidArgument('modelId', 'a non-empty model id', modelId);
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('options', 'an object with metadata and infer', opts);
  if (typeof opts.infer !== 'function') {
    throw new ModelError(`Model "${modelId}" uses backend "function", which needs an inference function passed in code (options.infer: (request) => response); a JSON config cannot supply one.`, { plugin: modelId, pointer: 'options.infer' });
  }
  // checked field by field below
  const options = opts as FunctionBackendOptions;
  const meta = options.metadata;
  if (typeof meta !== 'object' || meta === null) throw invalidArgument('options.metadata', 'model metadata { name, platform, inputs, outputs }', meta);
  checkMetadataList(modelId, meta.inputs, 'inputs');
  checkMetadataList(modelId, meta.outputs, 'outputs');
  const metadata: ModelMetadata = { ...meta, name: meta.name || modelId, platform: meta.platform || 'javascript' };
  const fn = options.infer;
  let closed = false;

  return {
    backend: 'function',
    modelId,
    ready: () => Promise.resolve(!closed),
    metadata: () => Promise.resolve(metadata),
    async infer(request, opts) {
      if (closed) throw new BackendError(`Model "${modelId}" is closed.`, { plugin: modelId });
      throwIfAborted(opts?.signal, `inference of model "${modelId}"`);
      for (const spec of metadata.inputs) {
        const t = request.inputs.find((i) => i.name === spec.name);
        if (!t) throw new BackendError(`Model "${modelId}" needs input "${spec.name}", which the request does not send.`, { plugin: modelId });
        const problem = tensorProblem(t, spec);
        if (problem) throw new BackendError(`Model "${modelId}" request input "${t.name}" ${problem}.`, { plugin: modelId });
      }
      const batch = request.inputs[0]?.shape[0];
      let response: InferResponse;
      try {
        response = await fn(request);
      } catch (cause) {
        if (cause instanceof BlurmmError) throw cause;
        throw new BackendError(`Model "${modelId}": the inference function threw: ${(cause as Error)?.message ?? String(cause)}`, { plugin: modelId, cause });
      }
      throwIfAborted(opts?.signal, `inference of model "${modelId}"`);
      if (typeof response !== 'object' || response === null || !Array.isArray(response.outputs)) {
        throw new BackendError(`Model "${modelId}": the inference function must return { model_name, outputs: [...] }, got ${response === null ? 'null' : typeof response}.`, { plugin: modelId });
      }
      const wanted = request.outputs?.map((o) => o.name) ?? metadata.outputs.map((o) => o.name);
      for (const name of wanted) {
        const spec = metadata.outputs.find((o) => o.name === name);
        if (!spec) throw new BackendError(`Model "${modelId}" has no output "${name}"; declared: ${metadata.outputs.map((o) => `"${o.name}"`).join(', ')}.`, { plugin: modelId });
        const t = response.outputs.find((o) => o.name === name);
        if (!t) throw new BackendError(`Model "${modelId}": the inference function returned no output "${name}" (got ${response.outputs.map((o) => `"${o.name}"`).join(', ') || 'none'}).`, { plugin: modelId });
        const problem = tensorProblem(t, spec);
        if (problem) throw new BackendError(`Model "${modelId}": output "${name}" from the inference function ${problem}.`, { plugin: modelId });
        if (batch !== undefined && t.shape[0] !== batch) throw new BackendError(`Model "${modelId}": output "${name}" has batch size ${t.shape[0]} for a request of ${batch}.`, { plugin: modelId });
      }
      return { ...response, model_name: response.model_name || modelId };
    },
    async close() {
      closed = true;
    },
  };
}
