/**
 * A minimal ONNX ModelProto writer: enough to build small inference graphs (initializers,
 * nodes with attributes, inputs/outputs with dynamic dims, opset imports) and serialise them
 * to the protobuf bytes onnxruntime loads. No protobuf dependency: the wire format is written
 * by hand (varints, length-delimited fields, fixed32 floats), following onnx/onnx.proto.
 */
import { invalidArgument } from '../../core/errors.js';

// ---------------------------------------------------------------- public types

/** ONNX element types this builder can declare (TensorProto.DataType numbers). */
export const OnnxDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  DOUBLE: 11,
} as const;
export type OnnxDataTypeName = keyof typeof OnnxDataType;

/** A constant tensor (an initializer or a tensor attribute). float32 and int64 are supported. */
export type OnnxTensor =
  | { readonly name: string; readonly type: 'FLOAT'; readonly dims: readonly number[]; readonly data: Float32Array | readonly number[] }
  | { readonly name: string; readonly type: 'INT64'; readonly dims: readonly number[]; readonly data: BigInt64Array | readonly (number | bigint)[] };

/** A node attribute value, tagged by kind (ONNX AttributeType). */
export type OnnxAttribute =
  | { readonly kind: 'int'; readonly value: number | bigint }
  | { readonly kind: 'ints'; readonly value: readonly (number | bigint)[] }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'tensor'; readonly value: OnnxTensor };

export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  /** operator domain; '' (default) is ai.onnx */
  readonly domain?: string;
  readonly attributes?: Readonly<Record<string, OnnxAttribute>>;
}

/** A graph input or output. A dim given as a string (or -1) is dynamic (dim_param). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly type: OnnxDataTypeName;
  readonly shape: readonly (number | string)[];
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly initializers?: readonly OnnxTensor[];
  readonly docString?: string;
}

export interface OnnxModel {
  readonly graph: OnnxGraph;
  /** default 17 for domain '' */
  readonly opsets?: readonly { readonly domain: string; readonly version: number }[];
  /** default 8 (ONNX 1.10+, supported by every onnxruntime >= 1.10) */
  readonly irVersion?: number;
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly docString?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------- attribute helpers

/** Attribute constructors: `attr.ints([1, 1])`, `attr.float(0.5)`, ... */
export const attr = {
  int: (value: number | bigint): OnnxAttribute => ({ kind: 'int', value }),
  ints: (value: readonly (number | bigint)[]): OnnxAttribute => ({ kind: 'ints', value }),
  float: (value: number): OnnxAttribute => ({ kind: 'float', value }),
  floats: (value: readonly number[]): OnnxAttribute => ({ kind: 'floats', value }),
  string: (value: string): OnnxAttribute => ({ kind: 'string', value }),
  tensor: (value: OnnxTensor): OnnxAttribute => ({ kind: 'tensor', value }),
} as const;

/** A float32 tensor. `data` length must equal the product of `dims`. */
export function floatTensor(name: string, dims: readonly number[], data: Float32Array | readonly number[]): OnnxTensor {
  return { name, type: 'FLOAT', dims, data };
}

/** An int64 tensor. `data` length must equal the product of `dims`. */
export function int64Tensor(name: string, dims: readonly number[], data: BigInt64Array | readonly (number | bigint)[]): OnnxTensor {
  return { name, type: 'INT64', dims, data };
}

// ---------------------------------------------------------------- wire format

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;
void WIRE_FIXED64;

const textEncoder = new TextEncoder();

/** Appends protobuf fields to a growing byte buffer. */
class ProtoWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  #ensure(extra: number): void {
    if (this.#len + extra <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** unsigned or two's-complement 64-bit varint */
  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    this.#ensure(10);
    while (v >= 0x80n) {
      this.#buf[this.#len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.#buf[this.#len++] = Number(v);
  }

  #tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.#tag(field, WIRE_LEN);
    this.varint(data.length);
    this.#ensure(data.length);
    this.#buf.set(data, this.#len);
    this.#len += data.length;
  }

  string(field: number, value: string): void {
    this.bytes(field, textEncoder.encode(value));
  }

  int(field: number, value: number | bigint): void {
    this.#tag(field, WIRE_VARINT);
    this.varint(value);
  }

  float(field: number, value: number): void {
    this.#tag(field, WIRE_FIXED32);
    this.#ensure(4);
    new DataView(this.#buf.buffer, this.#buf.byteOffset).setFloat32(this.#len, value, true);
    this.#len += 4;
  }

  /** packed repeated varints */
  packedVarints(field: number, values: readonly (number | bigint)[]): void {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    this.bytes(field, inner.finish());
  }

  /** packed repeated float32 */
  packedFloats(field: number, values: readonly number[]): void {
    const data = new Uint8Array(values.length * 4);
    const view = new DataView(data.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    this.bytes(field, data);
  }

  message(field: number, write: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    write(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

// ---------------------------------------------------------------- encoders (field numbers from onnx.proto)

function checkDims(where: string, dims: readonly number[], length: number): void {
  if (!dims.every((d) => Number.isInteger(d) && d >= 0)) throw invalidArgument(`${where}.dims`, 'non-negative integer dims', dims);
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== length) {
    throw invalidArgument(`${where}.data`, `${expected} values for dims [${dims.join(', ')}]`, `${length} values`);
  }
}

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  checkDims(`tensor "${t.name}"`, t.dims, t.data.length);
  if (t.dims.length) w.packedVarints(1, t.dims); // dims
  w.int(2, OnnxDataType[t.type]); // data_type
  w.string(8, t.name); // name
  let raw: Uint8Array;
  if (t.type === 'FLOAT') {
    const f = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    raw = new Uint8Array(f.length * 4);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < f.length; i++) view.setFloat32(i * 4, f[i] ?? 0, true);
  } else {
    const data = t.data;
    raw = new Uint8Array(data.length * 8);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < data.length; i++) view.setBigInt64(i * 8, BigInt(data[i] ?? 0), true);
  }
  w.bytes(9, raw); // raw_data (little-endian)
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

function writeAttribute(w: ProtoWriter, name: string, a: OnnxAttribute): void {
  w.string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'tensor':
      w.message(5, (t) => writeTensor(t, a.value));
      break;
    case 'floats':
      w.packedFloats(7, a.value);
      break;
    case 'ints':
      w.packedVarints(8, a.value);
      break;
  }
  w.int(20, ATTRIBUTE_TYPE[a.kind]); // type
}

function writeNode(w: ProtoWriter, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name !== undefined) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [name, a] of Object.entries(n.attributes ?? {})) w.message(5, (aw) => writeAttribute(aw, name, a));
  if (n.domain) w.string(7, n.domain);
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, OnnxDataType[v.type]); // elem_type
      tensor.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => {
            if (typeof d === 'string') dim.string(2, d);
            else if (d < 0) dim.string(2, `${v.name}_dim`);
            else dim.int(1, d);
          });
        }
      });
    }),
  );
}

function writeGraph(w: ProtoWriter, g: OnnxGraph): void {
  g.nodes.forEach((n, i) => w.message(1, (nw) => writeNode(nw, n.name === undefined ? { ...n, name: `${n.opType}_${i}` } : n)));
  w.string(2, g.name);
  for (const t of g.initializers ?? []) w.message(5, (tw) => writeTensor(tw, t));
  if (g.docString) w.string(10, g.docString);
  for (const v of g.inputs) w.message(11, (vw) => writeValueInfo(vw, v));
  for (const v of g.outputs) w.message(12, (vw) => writeValueInfo(vw, v));
}

/**
 * Serialises a model to ONNX protobuf bytes, ready for `InferenceSession.create(bytes)`.
 *
 * @example
 * ```ts
 * const bytes = buildOnnxModel({
 *   graph: {
 *     name: 'relu', nodes: [{ opType: 'Relu', inputs: ['x'], outputs: ['y'] }],
 *     inputs: [{ name: 'x', type: 'FLOAT', shape: ['N', 4] }],
 *     outputs: [{ name: 'y', type: 'FLOAT', shape: ['N', 4] }],
 *   },
 * });
 * ```
 */
export function buildOnnxModel(model: OnnxModel): Uint8Array {
  if (!model.graph || !Array.isArray(model.graph.nodes)) throw invalidArgument('model.graph', 'a graph with a nodes array', model.graph);
  const w = new ProtoWriter();
  w.int(1, model.irVersion ?? 8); // ir_version
  w.string(2, model.producerName ?? 'blurmm'); // producer_name
  if (model.producerVersion) w.string(3, model.producerVersion);
  if (model.docString) w.string(6, model.docString);
  w.message(7, (gw) => writeGraph(gw, model.graph)); // graph
  for (const op of model.opsets ?? [{ domain: '', version: 17 }]) {
    w.message(8, (ow) => {
      if (op.domain) ow.string(1, op.domain);
      ow.int(2, op.version);
    });
  }
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    w.message(14, (mw) => {
      mw.string(1, key);
      mw.string(2, value);
    });
  }
  return w.finish();
}

/** Encodes one unsigned varint (exposed for tests of the wire format). */
export function encodeVarint(value: number | bigint): Uint8Array {
  const w = new ProtoWriter();
  w.varint(value);
  return w.finish();
}
