/**
 * The demo's tiny CNN, trained by plain gradient descent (Adam) in TypeScript, and its ONNX export.
 *
 *   input [N, 3, S, S] (normalised RGB)
 *   -> Conv 3x3 (3 -> C1, valid) -> ReLU
 *   -> Conv 3x3 stride 2 (C1 -> C2, valid) -> ReLU
 *   -> GlobalAveragePool -> Flatten -> Gemm (C2 -> 2) = logits
 *
 * No padding anywhere, so the network is fully convolutional: trained on small crops, it runs
 * unchanged on whole 256 px tiles (the pooled features are averages over more positions).
 */
import { attr, buildOnnxModel, floatTensor } from '../src/plugins/onnx/onnx-builder.js';
import { normal, prng } from './demo-tissue.js';

export interface Net {
  readonly c1: number;
  readonly c2: number;
  readonly w1: Float32Array; // [c1][3][3][3]
  readonly b1: Float32Array;
  readonly w2: Float32Array; // [c2][c1][3][3]
  readonly b2: Float32Array;
  readonly wf: Float32Array; // [2][c2]
  readonly bf: Float32Array;
}

/** He-initialised network, seeded. */
export function initNet(seed: number, c1 = 8, c2 = 16): Net {
  const g = normal(prng(seed));
  const he = (n: number, fanIn: number): Float32Array => Float32Array.from({ length: n }, () => g() * Math.sqrt(2 / fanIn));
  return {
    c1,
    c2,
    w1: he(c1 * 27, 27),
    b1: new Float32Array(c1),
    w2: he(c2 * c1 * 9, c1 * 9),
    b2: new Float32Array(c2),
    wf: he(2 * c2, c2),
    bf: new Float32Array(2),
  };
}

function params(net: Net): Float32Array[] {
  return [net.w1, net.b1, net.w2, net.b2, net.wf, net.bf];
}

/** Buffers for one forward/backward pass at input size S. */
class Work {
  readonly s1: number;
  readonly s2: number;
  readonly h1: Float32Array;
  readonly h2: Float32Array;
  readonly dh1: Float32Array;
  readonly dh2: Float32Array;
  readonly g: Float32Array;
  constructor(
    readonly net: Net,
    readonly S: number,
  ) {
    this.s1 = S - 2;
    this.s2 = Math.floor((this.s1 - 3) / 2) + 1;
    this.h1 = new Float32Array(net.c1 * this.s1 * this.s1);
    this.h2 = new Float32Array(net.c2 * this.s2 * this.s2);
    this.dh1 = new Float32Array(this.h1.length);
    this.dh2 = new Float32Array(this.h2.length);
    this.g = new Float32Array(net.c2);
  }

  /** forward one sample (x: [3][S][S] at offset xo); returns the two logits */
  forward(x: Float32Array, xo: number, logits: Float64Array): void {
    const { net, S, s1, s2, h1, h2, g } = this;
    const { c1, c2, w1, b1, w2, b2, wf, bf } = net;
    // conv1 valid, stride 1
    for (let co = 0; co < c1; co++) {
      const ob = co * s1 * s1;
      h1.fill(b1[co]!, ob, ob + s1 * s1);
      for (let ci = 0; ci < 3; ci++)
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const w = w1[((co * 3 + ci) * 3 + ky) * 3 + kx]!;
            for (let oy = 0; oy < s1; oy++) {
              const ib = xo + (ci * S + oy + ky) * S + kx;
              const o = ob + oy * s1;
              for (let ox = 0; ox < s1; ox++) h1[o + ox] = h1[o + ox]! + w * x[ib + ox]!;
            }
          }
      for (let i = ob; i < ob + s1 * s1; i++) if (h1[i]! < 0) h1[i] = 0;
    }
    // conv2 valid, stride 2
    for (let co = 0; co < c2; co++) {
      const ob = co * s2 * s2;
      h2.fill(b2[co]!, ob, ob + s2 * s2);
      for (let ci = 0; ci < c1; ci++)
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const w = w2[((co * c1 + ci) * 3 + ky) * 3 + kx]!;
            for (let oy = 0; oy < s2; oy++) {
              const ib = (ci * s1 + 2 * oy + ky) * s1 + kx;
              const o = ob + oy * s2;
              for (let ox = 0; ox < s2; ox++) h2[o + ox] = h2[o + ox]! + w * h1[ib + 2 * ox]!;
            }
          }
      let sum = 0;
      for (let i = ob; i < ob + s2 * s2; i++) {
        if (h2[i]! < 0) h2[i] = 0;
        sum += h2[i]!;
      }
      g[co] = sum / (s2 * s2);
    }
    for (let k = 0; k < 2; k++) {
      let acc = bf[k]!;
      for (let c = 0; c < c2; c++) acc += wf[k * c2 + c]! * g[c]!;
      logits[k] = acc;
    }
  }

  /** backward after forward: dlogits in, gradients accumulated into grads (same order as params) */
  backward(x: Float32Array, xo: number, dl: Float64Array, grads: Float32Array[]): void {
    const { net, S, s1, s2, h1, h2, dh1, dh2, g } = this;
    const { c1, c2, w2, wf } = net;
    const [gw1, gb1, gw2, gb2, gwf, gbf] = grads as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    for (let k = 0; k < 2; k++) {
      gbf[k] = gbf[k]! + dl[k]!;
      for (let c = 0; c < c2; c++) gwf[k * c2 + c] = gwf[k * c2 + c]! + dl[k]! * g[c]!;
    }
    const inv = 1 / (s2 * s2);
    for (let c = 0; c < c2; c++) {
      const dg = (dl[0]! * wf[c]! + dl[1]! * wf[c2 + c]!) * inv;
      const ob = c * s2 * s2;
      for (let i = ob; i < ob + s2 * s2; i++) dh2[i] = h2[i]! > 0 ? dg : 0;
    }
    dh1.fill(0);
    for (let co = 0; co < c2; co++) {
      const ob = co * s2 * s2;
      let sb = 0;
      for (let i = ob; i < ob + s2 * s2; i++) sb += dh2[i]!;
      gb2[co] = gb2[co]! + sb;
      for (let ci = 0; ci < c1; ci++)
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const wi = ((co * c1 + ci) * 3 + ky) * 3 + kx;
            const w = w2[wi]!;
            let acc = 0;
            for (let oy = 0; oy < s2; oy++) {
              const ib = (ci * s1 + 2 * oy + ky) * s1 + kx;
              const o = ob + oy * s2;
              for (let ox = 0; ox < s2; ox++) {
                const d = dh2[o + ox]!;
                acc += d * h1[ib + 2 * ox]!;
                dh1[ib + 2 * ox] = dh1[ib + 2 * ox]! + w * d;
              }
            }
            gw2[wi] = gw2[wi]! + acc;
          }
    }
    for (let i = 0; i < dh1.length; i++) if (h1[i]! <= 0) dh1[i] = 0;
    for (let co = 0; co < c1; co++) {
      const ob = co * s1 * s1;
      let sb = 0;
      for (let i = ob; i < ob + s1 * s1; i++) sb += dh1[i]!;
      gb1[co] = gb1[co]! + sb;
      for (let ci = 0; ci < 3; ci++)
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            let acc = 0;
            for (let oy = 0; oy < s1; oy++) {
              const ib = xo + (ci * S + oy + ky) * S + kx;
              const o = ob + oy * s1;
              for (let ox = 0; ox < s1; ox++) acc += dh1[o + ox]! * x[ib + ox]!;
            }
            gw1[((co * 3 + ci) * 3 + ky) * 3 + kx] = gw1[((co * 3 + ci) * 3 + ky) * 3 + kx]! + acc;
          }
    }
  }
}

export interface TrainOptions {
  /** crop size S of the samples */
  readonly size: number;
  readonly epochs: number;
  readonly batch: number;
  readonly lr: number;
  readonly seed: number;
  /** called after each epoch */
  readonly onEpoch?: (epoch: number, loss: number, accuracy: number) => void;
}

/**
 * Trains `net` in place on samples x ([n][3][S][S], normalised) with labels y (0/1):
 * softmax cross-entropy, Adam, shuffled mini-batches, learning rate halved for the last third.
 */
export function train(net: Net, x: Float32Array, y: Uint8Array, o: TrainOptions): void {
  const n = y.length;
  const per = 3 * o.size * o.size;
  const work = new Work(net, o.size);
  const ps = params(net);
  const grads = ps.map((p) => new Float32Array(p.length));
  const m = ps.map((p) => new Float32Array(p.length));
  const v = ps.map((p) => new Float32Array(p.length));
  const b1 = 0.9;
  const b2 = 0.999;
  let t = 0;
  const rand = prng(o.seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const logits = new Float64Array(2);
  const dl = new Float64Array(2);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const tmp = order[i]!;
      order[i] = order[j]!;
      order[j] = tmp;
    }
    const lr = epoch >= (2 * o.epochs) / 3 ? o.lr / 4 : o.lr;
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < n; start += o.batch) {
      const end = Math.min(n, start + o.batch);
      for (const gr of grads) gr.fill(0);
      for (let k = start; k < end; k++) {
        const idx = order[k]!;
        work.forward(x, idx * per, logits);
        const mx = Math.max(logits[0]!, logits[1]!);
        const e0 = Math.exp(logits[0]! - mx);
        const e1 = Math.exp(logits[1]! - mx);
        const p1 = e1 / (e0 + e1);
        const label = y[idx]!;
        lossSum += -Math.log(Math.max(1e-12, label ? p1 : 1 - p1));
        if ((p1 > 0.5 ? 1 : 0) === label) correct++;
        dl[0] = 1 - p1 - (label ? 0 : 1);
        dl[1] = p1 - label;
        // a sample already classified with near certainty adds nothing, and its tiny gradients
        // would turn into float32 denormals, which are about 100x slower
        if (Math.abs(dl[1]!) > 1e-4) work.backward(x, idx * per, dl, grads);
      }
      t++;
      const scale = 1 / (end - start);
      const c1 = 1 - b1 ** t;
      const c2 = 1 - b2 ** t;
      for (let pi = 0; pi < ps.length; pi++) {
        const p = ps[pi]!;
        const gr = grads[pi]!;
        const mm = m[pi]!;
        const vv = v[pi]!;
        for (let i = 0; i < p.length; i++) {
          const gi = gr[i]! * scale;
          mm[i] = b1 * mm[i]! + (1 - b1) * gi;
          vv[i] = b2 * vv[i]! + (1 - b2) * gi * gi;
          p[i] = p[i]! - (lr * (mm[i]! / c1)) / (Math.sqrt(vv[i]! / c2) + 1e-8);
        }
      }
    }
    o.onEpoch?.(epoch, lossSum / n, correct / n);
  }
}

/** Probability of class 1 for each sample (JavaScript forward pass, for checks). */
export function predictJs(net: Net, x: Float32Array, n: number, size: number): Float64Array {
  const work = new Work(net, size);
  const out = new Float64Array(n);
  const logits = new Float64Array(2);
  for (let i = 0; i < n; i++) {
    work.forward(x, i * 3 * size * size, logits);
    out[i] = 1 / (1 + Math.exp(logits[0]! - logits[1]!));
  }
  return out;
}

/**
 * The network as ONNX (opset 17): input "input" FP32 [N, 3, size, size], output "logits" FP32 [N, 2].
 */
export function exportOnnx(net: Net, size: number, meta: { name: string; doc: string; metadata?: Record<string, string> }): Uint8Array {
  const { c1, c2 } = net;
  return buildOnnxModel({
    producerName: 'blurmm scripts/make-demo.ts',
    producerVersion: '1',
    docString: meta.doc,
    ...(meta.metadata ? { metadata: meta.metadata } : {}),
    graph: {
      name: meta.name,
      inputs: [{ name: 'input', type: 'FLOAT', shape: ['N', 3, size, size] }],
      outputs: [{ name: 'logits', type: 'FLOAT', shape: ['N', 2] }],
      initializers: [
        floatTensor('conv1.weight', [c1, 3, 3, 3], net.w1),
        floatTensor('conv1.bias', [c1], net.b1),
        floatTensor('conv2.weight', [c2, c1, 3, 3], net.w2),
        floatTensor('conv2.bias', [c2], net.b2),
        floatTensor('fc.weight', [2, c2], net.wf),
        floatTensor('fc.bias', [2], net.bf),
      ],
      nodes: [
        { opType: 'Conv', inputs: ['input', 'conv1.weight', 'conv1.bias'], outputs: ['c1'], attributes: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([1, 1]) } },
        { opType: 'Relu', inputs: ['c1'], outputs: ['r1'] },
        { opType: 'Conv', inputs: ['r1', 'conv2.weight', 'conv2.bias'], outputs: ['c2'], attributes: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]) } },
        { opType: 'Relu', inputs: ['c2'], outputs: ['r2'] },
        { opType: 'GlobalAveragePool', inputs: ['r2'], outputs: ['gap'] },
        { opType: 'Flatten', inputs: ['gap'], outputs: ['flat'], attributes: { axis: attr.int(1) } },
        { opType: 'Gemm', inputs: ['flat', 'fc.weight', 'fc.bias'], outputs: ['logits'], attributes: { transB: attr.int(1) } },
      ],
    },
  });
}
