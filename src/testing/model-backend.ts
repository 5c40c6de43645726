/**
 * Conformance suite for {@link ModelBackend} (Open Inference Protocol v2 shape): ready,
 * metadata, infer against the metadata, shape errors naming the tensor, batch = singles, close.
 */
import type { InferRequest, InferTensor, ModelBackend, ModelMetadata, TensorData, TensorDatatype, TensorMetadata } from '../core/types.js';
import { blurmmErrorCode, describeError, expectBlurmmRejection, settle, shared, type ExpectLike, type TestApi } from './test-api.js';
import { seededRandom } from '../plugins/train/stats.js';

export interface ModelBackendSuiteOptions {
  /** the size used for dynamic (-1) dimensions other than the batch (default 8) */
  readonly dynamicSize?: number;
  /** batch size of the batch-vs-singles check (default 3); 0 skips it (for models with a fixed batch) */
  readonly batch?: number;
  /** absolute + relative tolerance between a batch row and the single result (default 1e-5) */
  readonly tolerance?: number;
  /** makes the data of one input sample; default seeded uniform values in [0, 1) (integers 0..9) */
  readonly sampleData?: (spec: TensorMetadata, length: number, seed: number) => TensorData;
  readonly timeoutMs?: number;
}

const DATATYPES: readonly TensorDatatype[] = ['BOOL', 'UINT8', 'INT8', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64'];
const FLOAT: readonly TensorDatatype[] = ['FP16', 'FP32', 'FP64'];

const seeded = seededRandom;

function defaultData(spec: TensorMetadata, length: number, seed: number): TensorData {
  const r = seeded(seed);
  const ints = () => Array.from({ length }, () => Math.floor(r() * 10));
  switch (spec.datatype) {
    case 'FP32':
      return Float32Array.from({ length }, () => r());
    case 'FP64':
      return Float64Array.from({ length }, () => r());
    case 'UINT8':
    case 'BOOL':
      return Uint8Array.from(spec.datatype === 'BOOL' ? ints().map((v) => v & 1) : ints());
    case 'INT8':
      return Int8Array.from(ints());
    case 'INT32':
      return Int32Array.from(ints());
    case 'INT64':
      return BigInt64Array.from(ints().map(BigInt));
    default:
      throw new Error(`describeModelBackend: no default data for ${spec.datatype}; pass options.sampleData`);
  }
}

function concat(parts: readonly TensorData[]): TensorData {
  const first = parts[0]!;
  const Ctor = first.constructor as new (n: number) => TensorData & { set(a: ArrayLike<number | bigint>, o: number): void };
  const out = new Ctor(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p as ArrayLike<number | bigint>, o);
    o += p.length;
  }
  return out;
}

function checkTensorMeta(expect: ExpectLike, list: readonly TensorMetadata[], what: string): void {
  expect(Array.isArray(list) && list.length > 0, `${what} is a non-empty array`).toBe(true);
  const names = list.map((m) => m.name);
  expect(new Set(names).size, `${what} names are unique: ${names.join(', ')}`).toBe(names.length);
  for (const m of list) {
    expect(typeof m.name === 'string' && m.name.length > 0, `${what}: name is non-empty`).toBe(true);
    expect(DATATYPES.includes(m.datatype), `${what} "${m.name}": datatype ${m.datatype} is one of ${DATATYPES.join(', ')}`).toBe(true);
    expect(Array.isArray(m.shape) && m.shape.length > 0 && m.shape.every((d) => Number.isInteger(d) && (d > 0 || d === -1)), `${what} "${m.name}": shape [${m.shape.join(', ')}] is positive integers or -1`).toBe(true);
  }
}

/**
 * Registers the ModelBackend conformance cases under `describe(name)`. `create` is called once for
 * the shared instance (closed in `afterAll` when given) and once more for the close case.
 *
 * @example
 * ```ts
 * import { describe, it, expect, afterAll } from 'vitest';
 * import { describeModelBackend } from 'blurmm/testing';
 * describeModelBackend({ describe, it, expect, afterAll }, 'my backend', () => createMyBackend('m', { url }));
 * ```
 */
export function describeModelBackend(api: TestApi, name: string, create: () => Promise<ModelBackend>, options: ModelBackendSuiteOptions = {}): void {
  const { describe, it, expect } = api;
  const t = options.timeoutMs;
  const dyn = options.dynamicSize ?? 8;
  const batchSize = options.batch ?? 3;
  const tol = options.tolerance ?? 1e-5;
  const sampleData = options.sampleData ?? defaultData;
  const backend = shared(create);

  /** one input tensor of `batch` samples, sample i seeded with `seed + i` */
  const input = (spec: TensorMetadata, batch: number, seed: number): InferTensor => {
    const sampleShape = spec.shape.slice(1).map((d) => (d < 0 ? dyn : d));
    const per = sampleShape.reduce((a, b) => a * b, 1);
    const first = spec.shape[0]!;
    const n = first < 0 ? batch : first;
    const data = concat(Array.from({ length: n }, (_, i) => sampleData(spec, per, seed + i)));
    return { name: spec.name, datatype: spec.datatype, shape: [n, ...sampleShape], data };
  };
  const request = (meta: ModelMetadata, batch: number, seed: number): InferRequest => ({ inputs: meta.inputs.map((s, k) => input(s, batch, seed + 1000 * k)) });

  const checkOutputs = (meta: ModelMetadata, out: readonly InferTensor[], batch: number, what: string, names = meta.outputs.map((o) => o.name)): void => {
    for (const n of names) {
      const spec = meta.outputs.find((o) => o.name === n)!;
      const o = out.find((x) => x.name === n);
      expect(o !== undefined, `${what}: output "${n}" is in the response (got ${out.map((x) => x.name).join(', ')})`).toBe(true);
      if (!o) continue;
      expect(o.datatype, `${what}: output "${n}" datatype`).toBe(spec.datatype);
      expect(o.shape.length, `${what}: output "${n}" rank of [${o.shape.join(', ')}] vs declared [${spec.shape.join(', ')}]`).toBe(spec.shape.length);
      spec.shape.forEach((d, i) => {
        if (d >= 0) expect(o.shape[i], `${what}: output "${n}" dim ${i}`).toBe(d);
        else expect(Number.isInteger(o.shape[i]) && o.shape[i]! >= 0, `${what}: output "${n}" dynamic dim ${i} is a size`).toBe(true);
      });
      if (spec.shape[0] === -1) expect(o.shape[0], `${what}: output "${n}" batch dim equals the request batch`).toBe(batch);
      expect(o.data.length, `${what}: output "${n}" holds product(shape [${o.shape.join(', ')}]) values`).toBe(o.shape.reduce((a, b) => a * b, 1));
    }
  };

  describe(name, () => {
    api.afterAll?.(async () => {
      if (backend.created()) await (await backend.get()).close();
    });

    it('names its backend and model, and is ready', async () => {
      const b = await backend.get();
      expect(typeof b.backend === 'string' && b.backend.length > 0, 'backend is a non-empty string').toBe(true);
      expect(typeof b.modelId === 'string' && b.modelId.length > 0, 'modelId is a non-empty string').toBe(true);
      expect(await b.ready(), 'ready()').toBe(true);
    }, t);

    it('metadata has a name, a platform, and inputs/outputs with unique names, datatypes and shapes (-1 dynamic)', async () => {
      const meta = await (await backend.get()).metadata();
      expect(typeof meta.name === 'string' && meta.name.length > 0, 'metadata.name').toBe(true);
      expect(typeof meta.platform === 'string' && meta.platform.length > 0, 'metadata.platform').toBe(true);
      checkTensorMeta(expect, meta.inputs, 'metadata.inputs');
      checkTensorMeta(expect, meta.outputs, 'metadata.outputs');
    }, t);

    it('infer on a request shaped as the metadata returns every output with its datatype, shape and value count; float outputs are deterministic; requested outputs are honoured and an undeclared one rejects', async () => {
      const b = await backend.get();
      const meta = await b.metadata();
      const req = request(meta, 1, 1);
      const res = await b.infer({ ...req, id: 'conformance-1' });
      expect(typeof res.model_name === 'string' && res.model_name.length > 0, 'response model_name').toBe(true);
      checkOutputs(meta, res.outputs, 1, 'response');
      const again = await b.infer(req);
      for (const o of res.outputs) {
        if (!FLOAT.includes(o.datatype)) continue;
        const p = again.outputs.find((x) => x.name === o.name);
        expect(p && Array.from(p.data as Float32Array), `output "${o.name}" of the same request twice`).toEqual(Array.from(o.data as Float32Array));
      }
      const only = meta.outputs[meta.outputs.length - 1]!.name;
      const sub = await b.infer({ ...req, outputs: [{ name: only }] });
      checkOutputs(meta, sub.outputs, 1, `request for output "${only}" only`, [only]);
      const unknown = await settle(() => b.infer({ ...req, outputs: [{ name: 'conformance-no-such-output' }] }));
      const err = expectBlurmmRejection(expect, unknown, ['E_BACKEND', 'E_ARGUMENT', 'E_MODEL'], 'request for an undeclared output');
      expect(err.message, 'the message names the undeclared output').toContain('conformance-no-such-output');
    }, t);

    it('a wrongly shaped, wrongly typed or missing input rejects with a BlurmmError naming the tensor', async () => {
      const b = await backend.get();
      const meta = await b.metadata();
      const good = request(meta, 1, 2);
      const spec = meta.inputs[0]!;
      const tensor = good.inputs[0]!;
      // a declared fixed dim + 1, or an extra dim when all dims are dynamic
      const fixed = spec.shape.findIndex((d, i) => i > 0 && d > 0);
      const shape = fixed > 0 ? tensor.shape.map((d, i) => (i === fixed ? d + 1 : d)) : [...tensor.shape, 2];
      const len = shape.reduce((a, d) => a * d, 1);
      const wrong: InferTensor = { ...tensor, shape, data: sampleData(spec, len, 5) };
      const r = await settle(() => b.infer({ inputs: [wrong, ...good.inputs.slice(1)] }));
      const err = expectBlurmmRejection(expect, r, ['E_BACKEND', 'E_ARGUMENT', 'E_MODEL'], `input "${spec.name}" of shape [${shape.join(', ')}] (declared [${spec.shape.join(', ')}])`);
      expect(err.message, 'the message names the tensor').toContain(spec.name);
      const otherType: TensorDatatype = spec.datatype === 'FP64' ? 'FP32' : 'FP64';
      const retyped: InferTensor = { ...tensor, datatype: otherType, data: otherType === 'FP64' ? Float64Array.from(tensor.data as ArrayLike<number>, Number) : Float32Array.from(tensor.data as ArrayLike<number>, Number) };
      const typed = await settle(() => b.infer({ inputs: [retyped, ...good.inputs.slice(1)] }));
      const err3 = expectBlurmmRejection(expect, typed, ['E_BACKEND', 'E_ARGUMENT', 'E_MODEL', 'E_UNSUPPORTED'], `input "${spec.name}" sent as ${otherType} (declared ${spec.datatype})`);
      expect(err3.message, 'the message names the tensor with the wrong datatype').toContain(spec.name);
      const missing = await settle(() => b.infer({ inputs: good.inputs.slice(1) }));
      const err2 = expectBlurmmRejection(expect, missing, ['E_BACKEND', 'E_ARGUMENT', 'E_MODEL'], `request without input "${spec.name}"`);
      expect(err2.message, 'the message names the missing tensor').toContain(spec.name);
    }, t);

    if (batchSize > 0) {
      it(`a batch of ${batchSize} gives the results of ${batchSize} single requests (tolerance ${tol})`, async () => {
        const b = await backend.get();
        const meta = await b.metadata();
        const res = await b.infer(request(meta, batchSize, 10));
        checkOutputs(meta, res.outputs, batchSize, `batch of ${batchSize}`);
        for (let i = 0; i < batchSize; i++) {
          const single = await b.infer(request(meta, 1, 10 + i));
          for (const o of single.outputs) {
            const all = res.outputs.find((x) => x.name === o.name)!;
            const row = Array.from(all.data as ArrayLike<number | bigint>).slice(i * o.data.length, (i + 1) * o.data.length).map(Number);
            const one = Array.from(o.data as ArrayLike<number | bigint>).map(Number);
            const worst = one.reduce((w, v, k) => Math.max(w, Math.abs(v - row[k]!) / (1 + Math.abs(v))), 0);
            expect(worst, `output "${o.name}", sample ${i}: worst relative difference batch vs single`).toBeLessThanOrEqual(tol);
          }
        }
      }, t);
    }

    it('an already aborted signal rejects with E_ABORTED', async () => {
      const b = await backend.get();
      const controller = new AbortController();
      controller.abort(new Error('test abort'));
      const r = await settle(async () => b.infer(request(await b.metadata(), 1, 3), { signal: controller.signal }));
      expectBlurmmRejection(expect, r, ['E_ABORTED'], 'aborted infer');
    }, t);

    it('after close(), ready() is false and infer rejects with a BlurmmError; a second close resolves', async () => {
      const b = await create();
      const meta = await b.metadata();
      await b.close();
      expect(await b.ready(), 'ready() after close').toBe(false);
      const r = await settle(() => b.infer(request(meta, 1, 4)));
      expect(r.ok, 'infer after close rejects').toBe(false);
      if (!r.ok) expect(blurmmErrorCode(r.error) !== undefined, `infer after close: ${describeError(r.error)}`).toBe(true);
      expectBlurmmRejection(expect, r, ['E_BACKEND', 'E_MODEL', 'E_ARGUMENT'], 'infer after close');
      const second = await settle(() => b.close());
      expect(second.ok, `second close: ${second.ok ? 'ok' : describeError(second.error)}`).toBe(true);
    }, t);
  });
}
