import type { tf } from '../../tf';
import type { DecodedWeight } from './types';
import { problem } from './problem';

type Quantization = NonNullable<tf.io.WeightsManifestEntry['quantization']>;

const STORED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };
const PLAIN_BYTES: Record<string, number> = { float32: 4, int32: 4 };

function elements(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Bytes one weight takes in the shards, or a one-line error naming `file` when its dtype is unknown. */
export function storedBytes(spec: tf.io.WeightsManifestEntry, file: string): number {
  const q = spec.quantization;
  if (q) {
    const per = STORED_BYTES[q.dtype as string];
    if (!per)
      throw problem(
        file,
        `weight "${spec.name}" has unknown quantization dtype "${String(q.dtype)}" (expected uint8, uint16 or float16)`,
      );
    return elements(spec.shape) * per;
  }
  const per = PLAIN_BYTES[spec.dtype];
  if (!per)
    throw problem(
      file,
      `weight "${spec.name}" has dtype "${String(spec.dtype)}", which a layers model weight cannot have (expected float32 or int32)`,
    );
  return elements(spec.shape) * per;
}

/** IEEE 754 half to single precision, bit by bit. */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function dequantized(q: Quantization, bytes: Uint8Array, count: number, name: string, file: string): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (q.dtype === 'float16') {
    for (let i = 0; i < count; i++) out[i] = float16ToFloat32(view.getUint16(2 * i, true));
    return out;
  }
  if (typeof q.scale !== 'number' || typeof q.min !== 'number') {
    throw problem(file, `weight "${name}" is ${q.dtype}-quantized but its quantization has no numeric scale and min`);
  }
  for (let i = 0; i < count; i++) {
    const v = q.dtype === 'uint8' ? bytes[i] : view.getUint16(2 * i, true);
    out[i] = v * q.scale + q.min;
  }
  return out;
}

/**
 * Slices `data` (every group's shards, concatenated in manifest order) into the weights `specs` lists, in order,
 * the way tfjs-core does, dequantizing as it goes. `file` names the manifest in errors.
 */
export function decodeWeights(specs: tf.io.WeightsManifestEntry[], data: Uint8Array, file: string): DecodedWeight[] {
  const out: DecodedWeight[] = [];
  let offset = 0;
  for (const spec of specs) {
    const size = storedBytes(spec, file);
    const count = elements(spec.shape);
    const bytes = data.subarray(offset, offset + size);
    offset += size;
    const q = spec.quantization;
    // Older converters record the dtype before quantization as quantization.original_dtype.
    const original = (q as { original_dtype?: string } | undefined)?.original_dtype;
    const target = (original ?? spec.dtype) === 'int32' ? 'int32' : 'float32';
    let values: Float32Array | Int32Array;
    if (q) {
      const floats = dequantized(q, bytes, count, spec.name, file);
      values = target === 'int32' ? Int32Array.from(floats, Math.round) : floats;
    } else {
      const copy = new Uint8Array(bytes).buffer; // a copy: `data` may be a Buffer, whose slice() shares memory
      values = target === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    }
    out.push({ name: spec.name, shape: [...spec.shape], dtype: target, values });
  }
  return out;
}
