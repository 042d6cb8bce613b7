// The one place deepend imports TensorFlow.js from. tfjs-core and tfjs-layers
// are pinned to one exact version; the native packages (tfjs-node,
// tfjs-node-gpu) bring their own copy of @tensorflow/tfjs which npm dedupes onto
// the same tfjs-core, so a backend they register is visible here.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export { tf, tfl };

type Method = (t: tf.Tensor, ...args: never[]) => tf.Tensor;

/**
 * The tensor methods tfjs-layers 4.22 calls on tensors (`x.flatten()`, ...), in its Orthogonal initializer, which
 * builds every LSTM's and GRU's recurrent kernel. Only the @tensorflow/tfjs package registers such methods (the
 * native backends bring it, wasm and cpu do not), so without these such a model fails to load with
 * "rMat.flatten is not a function". The five it calls, as @tensorflow/tfjs defines them.
 */
const METHODS: Record<string, Method> = {
  flatten: (t) => tf.reshape(t, [t.size]),
  reshape: (t, shape: number[]) => tf.reshape(t, shape),
  sign: (t) => tf.sign(t),
  stridedSlice: (t, begin: number[], end: number[], strides: number[]) => tf.stridedSlice(t, begin, end, strides),
  transpose: (t, perm: number[] | undefined) => tf.transpose(t, perm),
};

const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
for (const [name, method] of Object.entries(METHODS)) {
  if (typeof proto[name] !== 'function')
    proto[name] = function (this: tf.Tensor, ...args: never[]) {
      return method(this, ...args);
    };
}

type FusedConvArgs = Parameters<typeof tf.fused.conv2d>[0];
type FusedDepthwiseArgs = Parameters<typeof tf.fused.depthwiseConv2d>[0];
type FusedMatMulArgs = Parameters<typeof tf.fused.matMul>[0];

/** The op's sum plus its bias, where it has one. */
function plusBias(sum: tf.Tensor, bias: tf.Tensor | tf.TensorLike | null | undefined): tf.Tensor {
  return bias === undefined || bias === null ? sum : tf.add(sum, bias);
}

/** Whether a fused op is being recorded for a gradient (tf.grads, optimizer.minimize) with nothing after its sum. */
function recordedLinear(activation: string | undefined, dataFormat: string | undefined = 'NHWC'): boolean {
  return tf.engine().state.gradientDepth > 0 && (activation ?? 'linear') === 'linear' && dataFormat === 'NHWC';
}

/**
 * The fused ops that tfjs-layers' Conv2D, DepthwiseConv2D and Dense call record a custom gradient that computes
 * the gradient of every input, needed or not: a model's first layer computed the gradient of its input images
 * (for the shipped model, 3.4 ms of a 22 ms training step on wasm), a frozen backbone's last one that of its
 * features. With a linear activation (Keras's default for a unit followed by its own activation layer), while a
 * gradient is recorded, these take the unfused ops instead: the same sums and bias, whose gradients TF.js
 * computes only for the inputs on the path to a trained weight. Fused ops with an activation are unfused by
 * TF.js itself while a gradient is recorded; inference is untouched.
 */
const fused = tf.fused as { -readonly [K in keyof typeof tf.fused]: (typeof tf.fused)[K] };
const fusedConv2d = fused.conv2d;
const fusedDepthwiseConv2d = fused.depthwiseConv2d;
const fusedMatMul = fused.matMul;
/** TF.js's own fused ops, as they were before the replacement below (for tests and benchmarks). */
export const shippedFusedOps = { conv2d: fusedConv2d, depthwiseConv2d: fusedDepthwiseConv2d, matMul: fusedMatMul };
fused.conv2d = <T extends tf.Tensor3D | tf.Tensor4D>(args: FusedConvArgs): T => {
  if (!recordedLinear(args.activation, args.dataFormat)) return fusedConv2d(args) as T;
  const sum = tf.conv2d(args.x, args.filter, args.strides, args.pad, 'NHWC', args.dilations, args.dimRoundingMode);
  return plusBias(sum, args.bias) as T;
};
fused.depthwiseConv2d = <T extends tf.Tensor3D | tf.Tensor4D>(args: FusedDepthwiseArgs): T => {
  if (!recordedLinear(args.activation, args.dataFormat)) return fusedDepthwiseConv2d(args) as T;
  const sum = tf.depthwiseConv2d(
    args.x,
    args.filter,
    args.strides,
    args.pad,
    'NHWC',
    args.dilations,
    args.dimRoundingMode,
  );
  return plusBias(sum, args.bias) as T;
};
fused.matMul = <T extends tf.Tensor>(args: FusedMatMulArgs): T => {
  if (!recordedLinear(args.activation)) return fusedMatMul(args) as T;
  const product = tf.matMul(args.a, args.b, args.transposeA, args.transposeB);
  return plusBias(product, args.bias) as T;
};
