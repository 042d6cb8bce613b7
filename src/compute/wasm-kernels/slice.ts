import { tf } from '../../tf';
import { upstream } from './upstream';
import { asWasm } from './wasm-backend';

/**
 * Upstream Slice first copies the whole source tensor off the heap
 * (readSync), so taking a batch from a dataset tensor costs the dataset's size.
 * A contiguous slice (leading-axis batches, the common case) is one copy of
 * just the slice between heap views; other slices stay upstream.
 */
function slice(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
  if (x.dtype === 'string') return upstream(tf.Slice)(args);
  const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
  if (!tf.slice_util.isSliceContinous(x.shape, begin_, size_)) return upstream(tf.Slice)(args);
  const offset = tf.slice_util.computeFlatOffset(begin_, tf.util.computeStrides(x.shape));
  const out = backend.makeOutput(size_, x.dtype);
  const src = backend.typedArrayFromHeap(x);
  backend.typedArrayFromHeap(out).set(src.subarray(offset, offset + tf.util.sizeFromShape(size_)));
  return out;
}

export const sliceConfig: tf.KernelConfig = {
  kernelName: tf.Slice,
  backendName: 'wasm',
  kernelFunc: slice as unknown as tf.KernelFunc,
};
