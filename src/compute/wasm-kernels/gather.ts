import { tf } from '../../tf';
import { upstream } from './upstream';
import { asWasm } from './wasm-backend';

type Heap = Float32Array | Int32Array | Uint8Array;

/** Below this many values a slice is copied value by value: a subarray and a set() cost more than the loop. */
const COPY_AS_BLOCK = 16;

/**
 * out[b, o, i, :] = x[b, o, indices[b, i], :] on the flattened shapes of tf.gather ([batch, outer, dim, slice]).
 * Each slice is contiguous on both sides, so it is one block copy.
 */
function gatherSlices(
  x: Heap,
  indices: Int32Array,
  out: Heap,
  info: { batchSize: number; outerSize: number; dimSize: number; sliceSize: number },
): void {
  const { batchSize, outerSize, dimSize, sliceSize } = info;
  const perBatch = indices.length / batchSize;
  let at = 0;
  for (let b = 0; b < batchSize; b++) {
    const ids = indices.subarray(b * perBatch, (b + 1) * perBatch);
    for (let o = 0; o < outerSize; o++) {
      const base = (b * outerSize + o) * dimSize * sliceSize;
      for (let i = 0; i < ids.length; i++) {
        const from = base + ids[i] * sliceSize;
        if (sliceSize < COPY_AS_BLOCK) {
          for (let k = 0; k < sliceSize; k++) out[at + k] = x[from + k];
        } else {
          out.set(x.subarray(from, from + sliceSize), at);
        }
        at += sliceSize;
      }
    }
  }
}

/**
 * Upstream GatherV2 computes each output value's source index with divisions in C++: a batch of 64 MNIST
 * images from a training set took 1.6 ms, 256 of them 9 ms (an MLP's whole training step at batch 64: 8.6 ms).
 * Every training step takes its batch with tf.gather; here it is one copy per image. Strings stay upstream.
 */
function gatherV2(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { x, indices } = args.inputs as unknown as { x: tf.TensorInfo; indices: tf.TensorInfo };
  const { axis, batchDims } = args.attrs as unknown as tf.GatherV2Attrs;
  if (x.dtype === 'string' || indices.dtype !== 'int32') return upstream(tf.GatherV2)(args);
  const parsedAxis = tf.util.parseAxisParam(axis, x.shape)[0];
  const ids = backend.typedArrayFromHeap(indices) as Int32Array;
  const axisDim = x.shape[parsedAxis];
  for (let i = 0; i < ids.length; i++) {
    const index = ids[i];
    // upstream's words, so that a caller sees the same error whichever kernel ran
    if (!(index >= 0 && index <= axisDim - 1))
      throw new Error(`GatherV2: the index value ${index} is not in [0, ${axisDim - 1}]`);
  }
  const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(
    x as tf.Tensor,
    indices as tf.Tensor,
    parsedAxis,
    batchDims,
  );
  const out = backend.makeOutput(info.outputShape, x.dtype);
  if (tf.util.sizeFromShape(info.outputShape) > 0) {
    // views after makeOutput, which may have grown the heap
    gatherSlices(
      backend.typedArrayFromHeap(x),
      backend.typedArrayFromHeap(indices) as Int32Array,
      backend.typedArrayFromHeap(out),
      info,
    );
  }
  return out;
}

export const gatherV2Config: tf.KernelConfig = {
  kernelName: tf.GatherV2,
  backendName: 'wasm',
  kernelFunc: gatherV2 as unknown as tf.KernelFunc,
};
