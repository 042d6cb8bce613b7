import { tf } from '../../tf';
import { matMul, transpose, upstream } from './upstream';
import { asWasm, release, WasmBackend } from './wasm-backend';

/** A rank-2 view of a rank >= 2 tensor whose leading dimensions are all 1. */
function asMatrix(t: tf.TensorInfo): tf.TensorInfo {
  const r = t.shape.length;
  return { dataId: t.dataId, shape: [t.shape[r - 2], t.shape[r - 1]], dtype: t.dtype };
}

function materialise(backend: WasmBackend, t: tf.TensorInfo, transposed: boolean): tf.TensorInfo {
  return transposed ? transpose(backend, t, [1, 0]) : t;
}

/**
 * Upstream sends every transposed product (the ones backprop makes: X^T dY and
 * dY W^T) to a naive triple loop; only the untransposed, unbatched case reaches
 * XNNPACK. Transposing the operand first costs one copy and buys the fast path.
 */
function batchMatMul(args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
  backend: unknown;
}): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { a, b } = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  const batched = (t: tf.TensorInfo) => tf.util.sizeFromShape(t.shape.slice(0, -2)) !== 1;
  if (batched(a) || batched(b) || a.dtype !== 'float32' || b.dtype !== 'float32' || (!transposeA && !transposeB)) {
    return upstream(tf.BatchMatMul)(args);
  }
  const a2 = materialise(backend, asMatrix(a), transposeA);
  const b2 = materialise(backend, asMatrix(b), transposeB);
  const out = matMul(backend, a2, b2);
  if (transposeA) release(backend, a2);
  if (transposeB) release(backend, b2);
  const outer = a.shape.length > b.shape.length ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
  out.shape = [...outer, ...out.shape];
  return out;
}

export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: tf.BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as tf.KernelFunc,
};
