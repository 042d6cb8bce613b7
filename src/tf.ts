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
