import { tf } from '../../tf';
import { upstream } from './upstream';
import { asWasm } from './wasm-backend';

type Heap = Float32Array | Int32Array | Uint8Array;

/** Fills [start, start + total) with repeats of its first `block` values, doubling each copy. */
function repeatBlock(out: Heap, start: number, block: number, total: number): void {
  for (let done = block; done < total; ) {
    const n = Math.min(done, total - done);
    out.copyWithin(start + done, start, start + n);
    done += n;
  }
}

/**
 * Writes x tiled by `reps` into out (row-major). Dimension d's first repeat is
 * built recursively, then copied over its other repeats: O(log reps) block
 * copies per level instead of index arithmetic per element.
 */
function tileInto(x: Heap, shape: number[], reps: number[], out: Heap): void {
  const rank = shape.length;
  const inStride = new Array<number>(rank + 1).fill(1);
  const outStride = new Array<number>(rank + 1).fill(1);
  for (let d = rank - 1; d >= 0; d--) {
    inStride[d] = inStride[d + 1] * shape[d];
    outStride[d] = outStride[d + 1] * shape[d] * reps[d];
  }
  const fill = (d: number, inAt: number, outAt: number): void => {
    const inner = outStride[d + 1];
    if (d === rank - 1) {
      out.set(x.subarray(inAt, inAt + shape[d]), outAt);
    } else {
      for (let i = 0; i < shape[d]; i++) fill(d + 1, inAt + i * inStride[d + 1], outAt + i * inner);
    }
    repeatBlock(out, outAt, shape[d] * inner, outStride[d]);
  };
  if (rank === 0) out[0] = x[0];
  else fill(0, 0, 0);
}

/** Upstream Tile (and so broadcastTo, used by BatchNorm's gradient) computes indices per element: ~1000x slower. */
function tile(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const { reps } = args.attrs as unknown as tf.TileAttrs;
  if (x.dtype === 'string') return upstream(tf.Tile)(args);
  const out = backend.makeOutput(
    x.shape.map((s, i) => s * reps[i]),
    x.dtype,
  );
  if (tf.util.sizeFromShape(out.shape) > 0) {
    tileInto(backend.typedArrayFromHeap(x), x.shape, reps, backend.typedArrayFromHeap(out));
  }
  return out;
}

export const tileConfig: tf.KernelConfig = {
  kernelName: tf.Tile,
  backendName: 'wasm',
  kernelFunc: tile as unknown as tf.KernelFunc,
};
