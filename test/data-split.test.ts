import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset, splitDataset, DataError, type Dataset, type DataSplit } from '../src/data';

/** Tabular dataset whose single feature is the sample's index, so split parts can be traced back. */
function indexedDataset(classSizes: number[], source = 'synthetic.csv'): Dataset {
  const labels = classSizes.flatMap((size, id) => new Array<number>(size).fill(id));
  // Interleave classes so stratification cannot fall out of the input order.
  const y = Int32Array.from(labels.map((_, i) => labels[(i * 7919) % labels.length]));
  return {
    source,
    kind: 'tabular',
    inputShape: [1],
    classes: classSizes.map((_, id) => `c${id}`),
    x: Float32Array.from(y, (_, i) => i),
    y,
    count: y.length,
  };
}

function indicesOf(part: Dataset): number[] {
  return Array.from(part.x);
}

function perClass(part: Dataset, classCount: number): number[] {
  const counts = new Array<number>(classCount).fill(0);
  for (const id of part.y) counts[id]++;
  return counts;
}

describe('splitDataset', () => {
  const dataset = indexedDataset([50, 30, 7, 1]);

  test('uses the default spec', () => {
    const split = splitDataset(dataset);
    assert.deepEqual(split.spec, { seed: 42, validationFraction: 0.1, testFraction: 0.2 });
    assert.match(split.fingerprint, /^[0-9a-f]{64}$/);
  });

  test('is stratified per class', () => {
    const split = splitDataset(dataset);
    assert.deepEqual(perClass(split.test, 4), [10, 6, 1, 0]);
    assert.deepEqual(perClass(split.validation, 4), [5, 3, 1, 0]);
    assert.deepEqual(perClass(split.train, 4), [35, 21, 5, 1]);
    assert.deepEqual(split.counts, { train: 62, validation: 9, test: 17 });
  });

  test('parts are disjoint, cover every sample and keep labels with their samples', () => {
    const split = splitDataset(dataset, { seed: 7 });
    const all = [split.train, split.validation, split.test].flatMap(indicesOf);
    assert.equal(all.length, dataset.count);
    assert.deepEqual(
      [...all].sort((a, b) => a - b),
      Array.from(dataset.x),
    );
    for (const part of [split.train, split.validation, split.test]) {
      const indices = indicesOf(part);
      assert.deepEqual(
        indices,
        [...indices].sort((a, b) => a - b),
        'parts keep dataset order',
      );
      indices.forEach((index, i) => {
        assert.equal(part.y[i], dataset.y[index]);
      });
      assert.equal(part.count, indices.length);
      assert.deepEqual(part.classes, dataset.classes);
    }
  });

  test('is deterministic per seed', () => {
    const summary = (s: DataSplit) => [s.fingerprint, indicesOf(s.train), indicesOf(s.validation), indicesOf(s.test)];
    assert.deepEqual(summary(splitDataset(dataset, { seed: 3 })), summary(splitDataset(dataset, { seed: 3 })));
    const other = splitDataset(dataset, { seed: 4 });
    assert.notDeepEqual(indicesOf(other.test), indicesOf(splitDataset(dataset, { seed: 3 }).test));
    assert.notEqual(other.fingerprint, splitDataset(dataset, { seed: 3 }).fingerprint);
  });

  test('fingerprint names the source and count as well as the test indices', () => {
    const a = splitDataset(indexedDataset([20, 20], 'a.csv'));
    const b = splitDataset(indexedDataset([20, 20], 'b.csv'));
    assert.deepEqual(indicesOf(a.test), indicesOf(b.test));
    assert.notEqual(a.fingerprint, b.fingerprint);
  });

  test('custom fractions, and a zero validation part', () => {
    const split = splitDataset(dataset, { validationFraction: 0, testFraction: 0.5 });
    assert.deepEqual(perClass(split.test, 4), [25, 15, 4, 0]);
    assert.equal(split.counts.validation, 0);
    assert.equal(split.validation.x.length, 0);
  });

  test('bad specs are one-line errors', () => {
    assert.throws(
      () => splitDataset(dataset, { testFraction: 0.6, validationFraction: 0.4 }),
      (error: unknown) => {
        assert.ok(error instanceof DataError);
        assert.match(
          error.message,
          /^synthetic\.csv: split fractions must be >= 0 and leave some training data, got validation 0\.4, test 0\.6$/,
        );
        return true;
      },
    );
    assert.throws(() => splitDataset(dataset, { testFraction: -0.1 }), /split fractions/);
    assert.throws(() => splitDataset(dataset, { seed: 1.5 }), /split seed must be an integer, got 1\.5/);
  });

  test('splits mnist 70/10/20 within every digit', async () => {
    const mnist = await loadDataset('mnist');
    const split = splitDataset(mnist);
    assert.equal(split.counts.train + split.counts.validation + split.counts.test, 10000);
    assert.ok(Math.abs(split.counts.test - 2000) <= 5, `test ${split.counts.test}`);
    assert.ok(Math.abs(split.counts.validation - 1000) <= 5, `validation ${split.counts.validation}`);
    assert.equal(split.test.x.length, split.counts.test * 784);
    assert.equal(split.fingerprint, splitDataset(mnist).fingerprint);
    const testPerDigit = perClass(split.test, 10);
    [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978].forEach((n, digit) => {
      assert.equal(testPerDigit[digit], Math.round(n * 0.2));
    });
  });
});
