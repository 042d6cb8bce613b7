import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyNormalisation, assertFits, computeNormalisation, revertNormalisation, type Dataset } from '../src/data';

function imageDataset(): Dataset {
  // Two 1x2 RGB images: channel 0 is 0,2,4,6; channel 1 is constant 5; channel 2 is 1,1,3,3.
  return {
    source: 'images',
    kind: 'image',
    inputShape: [1, 2, 3],
    classes: ['a', 'b'],
    x: Float32Array.from([0, 5, 1, 2, 5, 1, 4, 5, 3, 6, 5, 3]),
    y: Int32Array.from([0, 1]),
    count: 2,
  };
}

function tabularDataset(): Dataset {
  return {
    source: 'table.csv',
    kind: 'tabular',
    inputShape: [2],
    classes: ['x', 'y', 'z'],
    x: Float32Array.from([1, 10, 3, 30, 5, 50]),
    y: Int32Array.from([0, 2, 1]),
    count: 3,
  };
}

describe('normalisation', () => {
  test('per channel for images, constant channels get std 1', () => {
    const { mean, std } = computeNormalisation(imageDataset());
    assert.deepEqual(mean, [3, 5, 2]);
    assert.ok(Math.abs(std[0] - Math.sqrt(5)) < 1e-12);
    assert.equal(std[1], 1);
    assert.equal(std[2], 1);
  });

  test('per feature for tabular data', () => {
    const { mean, std } = computeNormalisation(tabularDataset());
    assert.deepEqual(mean, [3, 30]);
    assert.ok(Math.abs(std[0] - Math.sqrt(8 / 3)) < 1e-12);
    assert.ok(Math.abs(std[1] - Math.sqrt(800 / 3)) < 1e-12);
  });

  test('applied data has zero mean and unit std; revert gives the data back', () => {
    const data = tabularDataset();
    const normalisation = computeNormalisation(data);
    const normalised = applyNormalisation(data.x, normalisation);
    assert.notEqual(normalised, data.x, 'returns a new array');
    assert.deepEqual(Array.from(data.x), [1, 10, 3, 30, 5, 50], 'input untouched');
    const again = computeNormalisation({ ...data, x: normalised });
    again.mean.forEach((m) => {
      assert.ok(Math.abs(m) < 1e-6);
    });
    again.std.forEach((s) => {
      assert.ok(Math.abs(s - 1) < 1e-6);
    });
    const back = revertNormalisation(normalised, normalisation);
    back.forEach((v, i) => {
      assert.ok(Math.abs(v - data.x[i]) < 1e-5, `value ${i}`);
    });
  });

  test('rejects a normalisation that does not fit the data', () => {
    assert.throws(
      () => applyNormalisation(new Float32Array(5), { mean: [0, 0], std: [1, 1] }),
      /5 values do not divide into 2/,
    );
    assert.throws(
      () => applyNormalisation(new Float32Array(4), { mean: [0, 0], std: [1] }),
      /mean has 2 values but std has 1/,
    );
    assert.throws(() => applyNormalisation(new Float32Array(4), { mean: [0], std: [0] }), /positive finite/);
  });
});

describe('assertFits', () => {
  test('passes when shape and classes match', () => {
    assertFits(imageDataset(), [1, 2, 3], 2);
  });

  test('names the shapes or class counts that differ', () => {
    assert.throws(() => assertFits({ ...tabularDataset(), inputShape: [20] }, [28, 28, 1], 3), {
      message: "table.csv: data feature shape [20] does not fit the model's input [28,28,1]",
    });
    assert.throws(() => assertFits(tabularDataset(), [2], 10), {
      message: 'table.csv: data has 3 classes but the model has 10',
    });
    assert.throws(
      () => assertFits({ ...tabularDataset(), y: Int32Array.from([0, 3, 1]) }, [2], 3),
      /sample 1 has class id 3, outside 0\.\.2/,
    );
    assert.throws(() => assertFits({ ...tabularDataset(), count: 4 }, [2], 3), /do not hold 4 samples of \[2\]/);
  });
});
