import { createHash } from 'node:crypto';
import type { DataSplit, Dataset, SplitSpec } from './types';
import { DataError } from './errors';
import { mulberry32, shuffleInPlace } from './random';
import { subsetDataset } from './subset';

export const DEFAULT_SPLIT: SplitSpec = { seed: 42, validationFraction: 0.1, testFraction: 0.2 };

function checkSpec(source: string, spec: SplitSpec): void {
  const { seed, validationFraction: v, testFraction: t } = spec;
  if (!Number.isInteger(seed)) throw new DataError(source, `split seed must be an integer, got ${seed}`);
  if (!(v >= 0 && t >= 0 && v + t < 1)) {
    throw new DataError(
      source,
      `split fractions must be >= 0 and leave some training data, got validation ${v}, test ${t}`,
    );
  }
}

/**
 * Splits every class on its own (stratified): its samples are shuffled with
 * the seed and the first round(n * testFraction) go to test, the next
 * round(n * validationFraction) to validation, at least one always to train.
 * Each part keeps the dataset's order.
 */
export function splitDataset(dataset: Dataset, spec: Partial<SplitSpec> = {}): DataSplit {
  const full: SplitSpec = { ...DEFAULT_SPLIT, ...spec };
  checkSpec(dataset.source, full);
  if (dataset.count === 0) throw new DataError(dataset.source, 'cannot split an empty dataset');

  const byClass = new Map<number, number[]>();
  for (let i = 0; i < dataset.count; i++) {
    const members = byClass.get(dataset.y[i]);
    if (members) members.push(i);
    else byClass.set(dataset.y[i], [i]);
  }
  const random = mulberry32(full.seed);
  const train: number[] = [];
  const validation: number[] = [];
  const test: number[] = [];
  for (const classId of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = shuffleInPlace(byClass.get(classId)!, random);
    const n = members.length;
    const testCount = Math.min(Math.round(n * full.testFraction), n - 1);
    const validationCount = Math.min(Math.round(n * full.validationFraction), n - 1 - testCount);
    members.forEach((index, position) => {
      if (position < testCount) test.push(index);
      else if (position < testCount + validationCount) validation.push(index);
      else train.push(index);
    });
  }
  const ascending = (a: number, b: number) => a - b;
  train.sort(ascending);
  validation.sort(ascending);
  test.sort(ascending);

  return {
    train: subsetDataset(dataset, train),
    validation: subsetDataset(dataset, validation),
    test: subsetDataset(dataset, test),
    spec: full,
    counts: { train: train.length, validation: validation.length, test: test.length },
    fingerprint: splitFingerprint(dataset.source, dataset.count, test),
  };
}

/** sha256 over the source, the sample count and the sorted test indices. */
export function splitFingerprint(source: string, count: number, sortedTestIndices: ArrayLike<number>): string {
  const hash = createHash('sha256');
  hash.update(`${source}\n${count}\n`);
  const bytes = Buffer.alloc(sortedTestIndices.length * 4);
  for (let i = 0; i < sortedTestIndices.length; i++) bytes.writeUInt32LE(sortedTestIndices[i], i * 4);
  hash.update(bytes);
  return hash.digest('hex');
}

/**
 * A growth measures the parent and the grown model on the held-out part and validates Stage II on the validation
 * part: a split that left either empty (too few samples of a class to round a share up to one) cannot say
 * whether the growth paid. The least that holds one sample out of each class is named.
 */
export function assertHeldOut(split: DataSplit): void {
  const { validation, test } = split.counts;
  if (validation > 0 && test > 0) return;
  const { validationFraction, testFraction } = split.spec;
  const perClass = Math.ceil(0.5 / Math.min(validationFraction, testFraction));
  const total = split.counts.train + validation + test;
  throw new DataError(
    split.train.source,
    `${total} samples leave ${test} held out and ${validation} for validation (each class keeps ${Math.round(testFraction * 100)}% and ${Math.round(validationFraction * 100)}% of its samples, rounded): give at least ${perClass} samples of each class (a larger --data-limit or dataLimit, or more data)`,
  );
}
