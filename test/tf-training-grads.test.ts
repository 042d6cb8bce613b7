import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shippedFusedOps, tf, tfl } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { selectBackend } from '../src/compute/backend';
import { mulberry32 } from '../src/data/random';

function values(shape: number[], seed: number): tf.Tensor {
  const next = mulberry32(seed);
  return tf.tensor(
    Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => next() * 2 - 1),
    shape,
  );
}

/** The kernels a function ran, each as its name and output shape: 'Conv2DBackpropInput 4,9,9,3'. */
async function kernelsOf(fn: () => tf.TensorContainer): Promise<string[]> {
  const info = await tf.profile(() => fn());
  return info.kernels.map((k) => `${k.name} ${k.outputShapes[0]?.join(',')}`);
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

const x = () => values([4, 9, 9, 3], 1);

const CASES = [
  {
    op: 'conv2d' as const,
    filter: [3, 3, 3, 5],
    bias: [5],
    inputGradient: { kernel: 'Conv2DBackpropInput', shape: '4,9,9,3' },
    run: (fns: typeof shippedFusedOps, w: tf.Tensor, b: tf.Tensor) =>
      fns.conv2d({ x: x() as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 2, pad: 'same', bias: b }),
  },
  {
    op: 'depthwiseConv2d' as const,
    filter: [3, 3, 3, 2],
    bias: [6],
    inputGradient: { kernel: 'DepthwiseConv2dNativeBackpropInput', shape: '4,9,9,3' },
    // TF.js's wasm backend has no DepthwiseConv2dNativeBackpropInput, so its own fused op cannot train there
    backend: 'cpu' as const,
    run: (fns: typeof shippedFusedOps, w: tf.Tensor, b: tf.Tensor) =>
      fns.depthwiseConv2d({ x: x() as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'valid', bias: b }),
  },
  {
    op: 'matMul' as const,
    filter: [243, 7],
    bias: [7],
    inputGradient: { kernel: 'BatchMatMul', shape: '4,243' },
    run: (fns: typeof shippedFusedOps, w: tf.Tensor, b: tf.Tensor) =>
      fns.matMul({ a: tf.reshape(x(), [4, 243]), b: w, bias: b }),
  },
];

for (const c of CASES) {
  test(`fused ${c.op} while a gradient is recorded: the weights' gradients as TF.js's own, none for the input`, async () => {
    if ('backend' in c) await selectBackend(c.backend);
    else await useTestBackend();
    const w = values(c.filter, 2);
    const b = values(c.bias, 3);
    const loss = (fns: typeof shippedFusedOps) => (wv: tf.Tensor, bv: tf.Tensor) =>
      tf.sum(tf.square(c.run(fns, wv, bv))) as tf.Scalar;
    const [shippedW, shippedB] = tf.grads(loss(shippedFusedOps))([w, b]);
    const [oursW, oursB] = tf.grads(loss(tf.fused))([w, b]);
    assert.ok(maxDiff(oursW, shippedW) < 1e-4, `${c.op}: weight gradient differs by ${maxDiff(oursW, shippedW)}`);
    assert.ok(maxDiff(oursB, shippedB) < 1e-4, `${c.op}: bias gradient differs by ${maxDiff(oursB, shippedB)}`);
    const shippedKernels = await kernelsOf(() => tf.grads(loss(shippedFusedOps))([w, b]));
    const ourKernels = await kernelsOf(() => tf.grads(loss(tf.fused))([w, b]));
    const { kernel, shape } = c.inputGradient;
    // the fused product runs on a batch of one: '1,4,243'
    const inputGradient = (k: string) =>
      k.startsWith(`${kernel} `) && (k.endsWith(` ${shape}`) || k.endsWith(`,${shape}`));
    assert.ok(shippedKernels.some(inputGradient), `TF.js's fused ${c.op}: ${shippedKernels.join(' | ')}`);
    assert.ok(!ourKernels.some(inputGradient), ourKernels.join(' | '));
    // inference keeps the fused kernel, and its answer
    const served = c.run(tf.fused, w, b);
    assert.ok(maxDiff(served, c.run(shippedFusedOps, w, b)) < 1e-5);
    tf.dispose([w, b, shippedW, shippedB, oursW, oursB, served]);
  });
}

test('a fused op with an activation or a gradient of its input keeps what TF.js computes', async () => {
  await useTestBackend();
  const input = x();
  const w = values([3, 3, 3, 5], 4);
  const f = (fns: typeof shippedFusedOps) => (xv: tf.Tensor, wv: tf.Tensor) =>
    tf.sum(tf.square(fns.conv2d({ x: xv as tf.Tensor4D, filter: wv as tf.Tensor4D, strides: 1, pad: 'same' })));
  const [shippedX, shippedW] = tf.grads(f(shippedFusedOps))([input, w]);
  const [oursX, oursW] = tf.grads(f(tf.fused))([input, w]);
  assert.ok(maxDiff(oursX, shippedX) < 1e-4 && maxDiff(oursW, shippedW) < 1e-4);
  const relu = (fns: typeof shippedFusedOps) => (wv: tf.Tensor) =>
    tf.sum(
      fns.conv2d({ x: input as tf.Tensor4D, filter: wv as tf.Tensor4D, strides: 1, pad: 'same', activation: 'relu' }),
    );
  assert.ok(maxDiff(tf.grad(relu(tf.fused))(w), tf.grad(relu(shippedFusedOps))(w)) < 1e-4);
});

test('a training step of a Keras-style model (linear units, activations as layers) computes no input gradient', async () => {
  await useTestBackend();
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [9, 9, 3], filters: 4, kernelSize: 3, padding: 'same' }),
      tfl.layers.reLU(),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  const input = x();
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
  const optimizer = tf.train.adam(1e-3);
  const step = () =>
    optimizer.minimize(() =>
      tf.losses.softmaxCrossEntropy(labels, model.apply(input, { training: true }) as tf.Tensor),
    );
  const kernels = await kernelsOf(() => step() ?? []);
  assert.equal(kernels.filter((k) => k.startsWith('Conv2DBackpropFilter ')).length, 1, kernels.join(' | '));
  assert.ok(!kernels.some((k) => k.startsWith('Conv2DBackpropInput ')), kernels.join(' | '));
  model.dispose();
  optimizer.dispose();
  tf.dispose([input, labels]);
});
