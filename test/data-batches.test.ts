import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyNormalisation,
  batchCount,
  createBatchBuffers,
  epochOrder,
  gatherBatch,
  oneHot,
  type Dataset,
} from '../src/data';

function dataset(count: number): Dataset {
  // Sample i has features [i, 100 + i] and class i % 3.
  return {
    source: 'batches',
    kind: 'tabular',
    inputShape: [2],
    classes: ['a', 'b', 'c'],
    x: Float32Array.from({ length: count * 2 }, (_, j) => (j % 2 === 0 ? j / 2 : 100 + (j - 1) / 2)),
    y: Int32Array.from({ length: count }, (_, i) => i % 3),
    count,
  };
}

describe('epochOrder', () => {
  test('is a permutation that depends only on seed and epoch', () => {
    const order = epochOrder(100, 42, 0);
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.notDeepEqual(
      Array.from(order),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.deepEqual(epochOrder(100, 42, 0), order);
    assert.notDeepEqual(epochOrder(100, 42, 1), order);
    assert.notDeepEqual(epochOrder(100, 43, 0), order);
  });

  test('reuses a given buffer', () => {
    const buffer = new Uint32Array(10);
    assert.equal(epochOrder(10, 1, 5, buffer), buffer);
    assert.deepEqual(buffer, epochOrder(10, 1, 5));
    assert.throws(() => epochOrder(11, 1, 5, buffer), /order buffer holds 10, expected 11/);
  });
});

describe('gatherBatch', () => {
  test('copies the ordered samples and one-hot labels, short last batch', () => {
    const data = dataset(7);
    const buffers = createBatchBuffers(data.inputShape, 3, 4);
    const order = Uint32Array.from([6, 2, 5, 0, 3, 1, 4]);
    assert.equal(batchCount(data.count, 4), 2);

    assert.equal(gatherBatch(data, order, 0, buffers), 4);
    assert.deepEqual(Array.from(buffers.x), [6, 106, 2, 102, 5, 105, 0, 100]);
    assert.deepEqual(Array.from(buffers.y), [1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0]);

    assert.equal(gatherBatch(data, order, 4, buffers), 3);
    assert.deepEqual(Array.from(buffers.x.subarray(0, 6)), [3, 103, 1, 101, 4, 104]);
    assert.deepEqual(Array.from(buffers.y.subarray(0, 9)), [1, 0, 0, 0, 1, 0, 0, 1, 0]);
  });

  test('normalises on the way like applyNormalisation', () => {
    const data = dataset(5);
    const normalisation = { mean: [2, 102], std: [2, 0.5] };
    const buffers = createBatchBuffers(data.inputShape, 3, 5);
    gatherBatch(data, [0, 1, 2, 3, 4], 0, buffers, normalisation);
    assert.deepEqual(buffers.x, applyNormalisation(data.x, normalisation));
  });

  test('rejects mismatched buffers and bad labels', () => {
    const data = dataset(3);
    assert.throws(
      () => gatherBatch(data, [0], 0, createBatchBuffers([3], 3, 2)),
      /samples hold 2 values but the batch expects 3/,
    );
    assert.throws(
      () => gatherBatch(data, [0, 1, 2], 0, createBatchBuffers([2], 2, 4)),
      /sample 2 has class id 2, outside 0\.\.1/,
    );
    assert.throws(() => createBatchBuffers([2], 3, 0), /batch size must be a positive integer/);
  });

  test('oneHot', () => {
    assert.deepEqual(Array.from(oneHot(Int32Array.from([2, 0]), 3)), [0, 0, 1, 1, 0, 0]);
  });
});
