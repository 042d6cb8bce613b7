import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/tf';
import { selectBackend } from '../src/compute/backend';
import { requestDevice } from '../src/compute/webgpu/dawn';
import { mulberry32 } from '../src/data/random';
import { crossEntropy, classifierLoss } from '../src/train/classifier';
import {
  dispatchOnce,
  pipelineFor,
  readFloats,
  storageBuffer,
  u32Uniform,
  uniformBuffer,
} from '../src/train/webgpu/gpu';
import { matmulWgsl, matmulWorkgroups, MatmulVariant } from '../src/train/webgpu/wgsl/matmul';
import { LOSS_MEAN_WGSL, SOFTMAX_CE_WGSL } from '../src/train/webgpu/wgsl/softmax-cross-entropy';
import { BIAS_GRAD_WGSL } from '../src/train/webgpu/wgsl/bias-grad';
import { ADAM_MAX_WORKGROUPS, ADAM_WGSL } from '../src/train/webgpu/wgsl/adam';
import {
  convFilterGradWgsl,
  convForwardWgsl,
  convGeometry,
  convGeometryWords,
  convInputGradWgsl,
} from '../src/train/webgpu/wgsl/conv';
import {
  elementwiseWorkgroups,
  MAX_POOL_WGSL,
  maxPoolGradWgsl,
  poolGeometry,
  poolWords,
} from '../src/train/webgpu/wgsl/pool';
import { webgpuSkipReason } from './helpers/webgpu';

// Every WGSL kernel of the WebGPU trainer, run on Dawn (lavapipe in CI), against
// the same computation in TF.js on the plain JS backend ('cpu', the reference).

function values(n: number, seed: number, scale = 1): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (random() - 0.5) * 2 * scale);
}

/** max |a - b| / max(1, max |b|). */
function maxError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length, 'result sizes differ');
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

const f32 = (t: tf.Tensor) => t.dataSync() as Float32Array;

describe('WebGPU kernels against TF.js (cpu backend)', async () => {
  const skip = await webgpuSkipReason();
  let device: GPUDevice;
  before(async () => {
    if (skip) return;
    await selectBackend('cpu');
    device = await requestDevice();
  });
  after(() => device?.destroy());

  const cases: [string, MatmulVariant, number, number, number][] = [
    ['C = A B (forward)', { transA: false, transB: false, bias: false, relu: false, reluMask: false }, 70, 37, 131],
    [
      'C = A^T B (weight gradient)',
      { transA: true, transB: false, bias: false, relu: false, reluMask: false },
      45,
      129,
      66,
    ],
    [
      'C = A B^T (input gradient)',
      { transA: false, transB: true, bias: false, relu: false, reluMask: false },
      130,
      64,
      17,
    ],
    ['relu(A B + bias)', { transA: false, transB: false, bias: true, relu: true, reluMask: false }, 64, 784, 256],
    ['(A B^T) * (mask > 0)', { transA: false, transB: true, bias: false, relu: false, reluMask: true }, 33, 10, 256],
  ];
  for (const [name, v, M, K, N] of cases) {
    test(`matmul ${name}, M=${M} K=${K} N=${N}`, { skip }, async () => {
      const a = values(M * K, 1);
      const b = values(K * N, 2);
      const bias = values(N, 3);
      const mask = values(M * N, 4);
      const want = tf.tidy(() => {
        const A = v.transA ? tf.transpose(tf.tensor2d(a, [K, M])) : tf.tensor2d(a, [M, K]);
        const B = v.transB ? tf.transpose(tf.tensor2d(b, [N, K])) : tf.tensor2d(b, [K, N]);
        let c: tf.Tensor = tf.matMul(A, B);
        if (v.bias) c = tf.add(c, tf.tensor1d(bias));
        if (v.relu) c = tf.relu(c);
        if (v.reluMask) c = tf.mul(c, tf.cast(tf.greater(tf.tensor2d(mask, [M, N]), 0), 'float32'));
        return f32(c);
      });
      const C = storageBuffer(device, M * N * 4);
      const bindings = [
        u32Uniform(device, [M, N, K]),
        storageBuffer(device, a.byteLength, a),
        storageBuffer(device, b.byteLength, b),
        C,
      ];
      if (v.bias) bindings.push(storageBuffer(device, bias.byteLength, bias));
      if (v.reluMask) bindings.push(storageBuffer(device, mask.byteLength, mask));
      dispatchOnce(device, pipelineFor(device, matmulWgsl(v)), bindings, matmulWorkgroups(M, N));
      const got = await readFloats(device, C, M * N * 4);
      const err = maxError(got, want);
      assert.ok(err < 1e-5, `max error ${err}`);
    });
  }

  test('bias gradient: column sums of dY', { skip }, async () => {
    const [M, N] = [300, 77];
    const dy = values(M * N, 5);
    const want = tf.tidy(() => f32(tf.sum(tf.tensor2d(dy, [M, N]), 0)));
    const db = storageBuffer(device, N * 4);
    dispatchOnce(
      device,
      pipelineFor(device, BIAS_GRAD_WGSL),
      [u32Uniform(device, [M, N]), storageBuffer(device, dy.byteLength, dy), db],
      [Math.ceil(N / 64)],
    );
    const err = maxError(await readFloats(device, db, N * 4), want);
    assert.ok(err < 1e-5, `max error ${err}`);
  });

  for (const output of ['softmax', 'logits'] as const) {
    test(`softmax cross-entropy (${output} output): row losses, their mean, and dL/dscores as tf.grad gives them`, {
      skip,
    }, async () => {
      const [B, N] = [97, 10];
      const z = values(B * N, 6, 4);
      // One row with a very confident wrong answer: the 1e-7 in log(p + 1e-7) matters there.
      z[0] = 30;
      const labels = Uint32Array.from({ length: B }, (_, i) => (i * 7 + 3) % N);
      labels[0] = 5;
      const [wantLoss, wantGrad] = tf.tidy(() => {
        const Z = tf.tensor2d(z, [B, N]);
        const y = tf.tensor1d(Int32Array.from(labels), 'int32');
        const loss = (s: tf.Tensor) =>
          output === 'softmax' ? crossEntropy(tf.softmax(s), y, N) : classifierLoss(s, y, N, 'logits');
        const { value, grad } = tf.valueAndGrad((s: tf.Tensor) => loss(s))(Z);
        return [value.dataSync()[0], f32(grad)];
      });
      const dZ = storageBuffer(device, B * N * 4);
      const rowLoss = storageBuffer(device, B * 4);
      const lossLog = storageBuffer(device, 4 * 4);
      dispatchOnce(
        device,
        pipelineFor(device, SOFTMAX_CE_WGSL),
        [
          u32Uniform(device, [B, N, output === 'softmax' ? 1 : 0]),
          storageBuffer(device, z.byteLength, z),
          storageBuffer(device, labels.byteLength, labels),
          dZ,
          rowLoss,
        ],
        [Math.ceil(B / 64)],
      );
      dispatchOnce(device, pipelineFor(device, LOSS_MEAN_WGSL), [u32Uniform(device, [B, 2]), rowLoss, lossLog], [1]);
      const gotGrad = await readFloats(device, dZ, B * N * 4);
      const gotLoss = (await readFloats(device, lossLog, 16))[2];
      assert.ok(Math.abs(gotLoss - wantLoss) < 1e-5 * Math.max(1, wantLoss), `loss ${gotLoss} vs ${wantLoss}`);
      const err = maxError(gotGrad, wantGrad);
      assert.ok(err < 1e-6, `gradient max error ${err}`);
    });
  }

  test('Adam: three updates of 70,000 values match tf.train.adam (lr 0.01, eps 1e-7)', { skip }, async () => {
    const n = 70_000;
    const w0 = values(n, 7);
    const grads = [values(n, 8), values(n, 9, 0.01), values(n, 10, 3)];
    const [lr, beta1, beta2, eps] = [0.01, 0.9, 0.999, 1e-7];
    const optimizer = tf.train.adam(lr, beta1, beta2);
    const variable = tf.variable(tf.tensor1d(w0));
    for (const g of grads) optimizer.applyGradients([{ name: variable.name, tensor: tf.tensor1d(g) }]);
    const want = f32(variable);
    const w = storageBuffer(device, n * 4, w0);
    const m = storageBuffer(device, n * 4);
    const v = storageBuffer(device, n * 4);
    const pipeline = pipelineFor(device, ADAM_WGSL);
    for (const [t, g] of grads.entries()) {
      const params = new ArrayBuffer(48);
      new Uint32Array(params, 0, 4).set([n]);
      new Float32Array(params, 16, 6).set([lr, beta1, beta2, eps, 1 - beta1 ** (t + 1), 1 - beta2 ** (t + 1)]);
      dispatchOnce(
        device,
        pipeline,
        [uniformBuffer(device, new Uint8Array(params)), w, storageBuffer(device, n * 4, g), m, v],
        [Math.min(ADAM_MAX_WORKGROUPS, Math.ceil(n / 256))],
      );
    }
    const err = maxError(await readFloats(device, w, n * 4), want);
    assert.ok(err < 1e-6, `max error ${err}`);
    optimizer.dispose();
    variable.dispose();
  });

  const convCases: [string, number[], number, number, 'same' | 'valid', boolean][] = [
    // [name, x shape NHWC, filters, stride, padding, bias + relu / relu mask]
    ['3x3 same stride 1', [3, 9, 9, 4], 8, 1, 'same', true],
    ['3x3 valid stride 2', [2, 10, 11, 3], 6, 2, 'valid', false],
    ['3x3 same stride 2', [2, 9, 9, 5], 7, 2, 'same', true],
    ["3x3 same, one input channel (the shipped model's first layer)", [4, 28, 28, 1], 16, 1, 'same', false],
  ];
  for (const [name, shape, CO, stride, padding, fused] of convCases) {
    test(`conv2d ${name} as implicit GEMM: forward, filter gradient, input gradient`, { skip }, async () => {
      const [B, H, W, C] = shape;
      const g = convGeometry([H, W, C], CO, [3, 3], stride, padding);
      const x = values(B * H * W * C, 11);
      const w = values(9 * C * CO, 12, 0.5);
      const bias = values(CO, 13);
      const dy = values(B * g.OH * g.OW * CO, 14);
      const below = values(B * H * W * C, 15); // the layer below's output, for the ReLU mask
      const [wantY, wantDw, wantDx] = tf.tidy(() => {
        const X = tf.tensor4d(x, [B, H, W, C]);
        const F = tf.tensor4d(w, [3, 3, C, CO]);
        const dY = tf.tensor4d(dy, [B, g.OH, g.OW, CO]);
        let y: tf.Tensor = tf.conv2d(X, F, stride, padding);
        if (fused) y = tf.relu(tf.add(y, tf.tensor1d(bias)));
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, padding), dY)),
        )([X, F]);
        const maskedDx = fused
          ? tf.mul(dx, tf.reshape(tf.cast(tf.greater(tf.tensor1d(below), 0), 'float32'), dx.shape))
          : dx;
        return [f32(y), f32(dw), f32(maskedDx)];
      });
      assert.deepEqual([g.OH, g.OW], [wantY.length / (B * CO * g.OW), g.OW], 'output size as TF.js');
      const geo = uniformBuffer(device, convGeometryWords(g));
      const X = storageBuffer(device, x.byteLength, x);
      const Fb = storageBuffer(device, w.byteLength, w);
      const dY = storageBuffer(device, dy.byteLength, dy);
      const Y = storageBuffer(device, wantY.length * 4);
      const dW = storageBuffer(device, w.byteLength);
      const dX = storageBuffer(device, x.byteLength);
      const [M, K] = [B * g.OH * g.OW, 9 * C];
      dispatchOnce(
        device,
        pipelineFor(device, convForwardWgsl({ bias: fused, relu: fused })),
        [
          u32Uniform(device, [M, CO, K]),
          X,
          Fb,
          Y,
          ...(fused ? [storageBuffer(device, bias.byteLength, bias)] : []),
          geo,
        ],
        matmulWorkgroups(M, CO),
      );
      dispatchOnce(
        device,
        pipelineFor(device, convFilterGradWgsl()),
        [u32Uniform(device, [K, CO, M]), X, dY, dW, geo],
        matmulWorkgroups(K, CO),
      );
      dispatchOnce(
        device,
        pipelineFor(device, convInputGradWgsl(fused)),
        [
          u32Uniform(device, [B * H * W, C, 9 * CO]),
          dY,
          Fb,
          dX,
          ...(fused ? [storageBuffer(device, below.byteLength, below)] : []),
          geo,
        ],
        matmulWorkgroups(B * H * W, C),
      );
      const errors = [
        ['forward', maxError(await readFloats(device, Y, wantY.length * 4), wantY)],
        ['filter gradient', maxError(await readFloats(device, dW, w.byteLength), wantDw)],
        ['input gradient', maxError(await readFloats(device, dX, x.byteLength), wantDx)],
      ] as const;
      for (const [what, err] of errors) assert.ok(err < 1e-5, `${what}: max error ${err}`);
    });
  }

  for (const mask of [false, true]) {
    test(`max pool 2x2 stride 2 (odd width: the last column dropped) and its gradient${mask ? ' through the ReLU below' : ''}`, {
      skip,
    }, async () => {
      const [B, H, W, C] = [3, 8, 9, 5];
      const g = poolGeometry([H, W, C], 2);
      const x = values(B * H * W * C, 16);
      const dy = values(B * g.OH * g.OW * C, 17);
      const [wantY, wantDx] = tf.tidy(() => {
        const X = tf.tensor4d(x, [B, H, W, C]);
        const y = tf.maxPool(X, 2, 2, 'valid');
        let dx = tf.grad((a: tf.Tensor) =>
          tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), tf.tensor(dy, y.shape))),
        )(X);
        if (mask) dx = tf.mul(dx, tf.cast(tf.greater(X, 0), 'float32'));
        return [f32(y), f32(dx)];
      });
      const outCount = B * g.OH * g.OW * C;
      const inCount = B * H * W * C;
      const X = storageBuffer(device, x.byteLength, x);
      const Y = storageBuffer(device, outCount * 4);
      const Arg = storageBuffer(device, outCount * 4);
      const dX = storageBuffer(device, x.byteLength);
      dispatchOnce(
        device,
        pipelineFor(device, MAX_POOL_WGSL),
        [uniformBuffer(device, poolWords(g, outCount)), X, Y, Arg],
        elementwiseWorkgroups(outCount),
      );
      dispatchOnce(
        device,
        pipelineFor(device, maxPoolGradWgsl(mask)),
        [
          uniformBuffer(device, poolWords(g, inCount)),
          storageBuffer(device, dy.byteLength, dy),
          Arg,
          dX,
          ...(mask ? [X] : []),
        ],
        elementwiseWorkgroups(inCount),
      );
      assert.equal(maxError(await readFloats(device, Y, outCount * 4), wantY), 0);
      assert.equal(maxError(await readFloats(device, dX, x.byteLength), wantDx), 0);
    });
  }
});
