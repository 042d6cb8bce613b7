/**
 * Separable image resizing of interleaved float pixels. Each axis is
 * resampled on its own: area averaging where it shrinks (every source pixel
 * counts, no aliasing), bilinear interpolation with half-pixel centres where
 * it grows. Equal sizes copy exactly.
 */

interface AxisWeights {
  /** For output index o: taps start[o] .. start[o] + taps[o] - 1 of the source, weights at offset[o]. */
  start: Int32Array;
  taps: Int32Array;
  offset: Int32Array;
  weights: Float32Array;
}

function areaWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const start = new Int32Array(outSize);
  const taps = new Int32Array(outSize);
  const offset = new Int32Array(outSize);
  const weights: number[] = [];
  for (let o = 0; o < outSize; o++) {
    const from = o * scale;
    const to = Math.min(inSize, (o + 1) * scale);
    const first = Math.floor(from);
    const last = Math.min(inSize - 1, Math.ceil(to) - 1);
    start[o] = first;
    taps[o] = last - first + 1;
    offset[o] = weights.length;
    for (let i = first; i <= last; i++) {
      const overlap = Math.min(to, i + 1) - Math.max(from, i);
      weights.push(overlap / scale);
    }
  }
  return { start, taps, offset, weights: Float32Array.from(weights) };
}

function bilinearWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const start = new Int32Array(outSize);
  const taps = new Int32Array(outSize).fill(2);
  const offset = new Int32Array(outSize);
  const weights = new Float32Array(outSize * 2);
  for (let o = 0; o < outSize; o++) {
    const centre = Math.min(inSize - 1, Math.max(0, (o + 0.5) * scale - 0.5));
    const first = Math.min(inSize - 2, Math.floor(centre));
    const fraction = centre - first;
    start[o] = first;
    offset[o] = o * 2;
    weights[o * 2] = 1 - fraction;
    weights[o * 2 + 1] = fraction;
  }
  return { start, taps, offset, weights };
}

function identityWeights(size: number): AxisWeights {
  const start = new Int32Array(size);
  for (let o = 0; o < size; o++) start[o] = o;
  return { start, taps: new Int32Array(size).fill(1), offset: start, weights: new Float32Array(size).fill(1) };
}

function axisWeights(inSize: number, outSize: number): AxisWeights {
  if (inSize === outSize) return identityWeights(outSize);
  if (outSize < inSize || inSize === 1) return areaWeights(inSize, outSize);
  return bilinearWeights(inSize, outSize);
}

/**
 * Resizes `source` (inHeight x inWidth x channels, interleaved) into
 * out[outOffset ..] as outHeight x outWidth x channels.
 */
export function resizeImage(
  source: Float32Array,
  inHeight: number,
  inWidth: number,
  channels: number,
  outHeight: number,
  outWidth: number,
  out: Float32Array,
  outOffset = 0,
): void {
  const across = axisWeights(inWidth, outWidth);
  const down = axisWeights(inHeight, outHeight);
  const rows = new Float32Array(inHeight * outWidth * channels);

  for (let y = 0; y < inHeight; y++) {
    const inRow = y * inWidth * channels;
    const outRow = y * outWidth * channels;
    for (let x = 0; x < outWidth; x++) {
      const first = across.start[x];
      const w0 = across.offset[x];
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let t = 0; t < across.taps[x]; t++) {
          sum += across.weights[w0 + t] * source[inRow + (first + t) * channels + c];
        }
        rows[outRow + x * channels + c] = sum;
      }
    }
  }

  const rowLength = outWidth * channels;
  for (let y = 0; y < outHeight; y++) {
    const first = down.start[y];
    const w0 = down.offset[y];
    const target = outOffset + y * rowLength;
    for (let i = 0; i < rowLength; i++) {
      let sum = 0;
      for (let t = 0; t < down.taps[y]; t++) {
        sum += down.weights[w0 + t] * rows[(first + t) * rowLength + i];
      }
      out[target + i] = sum;
    }
  }
}
