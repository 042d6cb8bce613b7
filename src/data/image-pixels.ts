import type { DecodedImage } from './image-decode';

/** Rec. 601 luma weights, the usual RGB -> grayscale conversion. */
const LUMA = [0.299, 0.587, 0.114];

/** True when every pixel has R = G = B, so one channel loses nothing. */
export function isGrayscale(image: DecodedImage): boolean {
  const { rgba } = image;
  for (let i = 0; i < image.width * image.height * 4; i += 4) {
    if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) return false;
  }
  return true;
}

/**
 * Interleaved floats in [0, 1] with 1 (gray) or 3 (RGB) channels.
 * Transparent pixels are composited over black, the background MNIST-style
 * data uses, so transparency never leaks in as arbitrary hidden colour.
 */
export function toChannels(image: DecodedImage, channels: 1 | 3): Float32Array {
  const { rgba } = image;
  const pixels = image.width * image.height;
  const out = new Float32Array(pixels * channels);
  for (let p = 0; p < pixels; p++) {
    const s = p * 4;
    const alpha = rgba[s + 3] / 255;
    const scale = alpha / 255;
    if (channels === 1) {
      const r = rgba[s],
        g = rgba[s + 1],
        b = rgba[s + 2];
      // Gray pixels keep their exact value instead of a rounded weighted sum.
      const luma = r === g && g === b ? r : LUMA[0] * r + LUMA[1] * g + LUMA[2] * b;
      out[p] = luma * scale;
    } else {
      out[p * 3] = rgba[s] * scale;
      out[p * 3 + 1] = rgba[s + 1] * scale;
      out[p * 3 + 2] = rgba[s + 2] * scale;
    }
  }
  return out;
}
