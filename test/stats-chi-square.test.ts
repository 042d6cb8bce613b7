import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chiSquareSurvival, homogeneity } from '../src/stats/chi-square';

test('chi-square survival matches the tables', () => {
  // critical values at 5% and 0.1% (any statistics table)
  for (const [x, df, p] of [
    [3.841, 1, 0.05],
    [11.07, 5, 0.05],
    [16.919, 9, 0.05],
    [27.877, 9, 0.001],
    [10.828, 1, 0.001],
    [0.455, 1, 0.5],
  ] as const)
    assert.ok(Math.abs(chiSquareSurvival(x, df) - p) < p * 0.01 + 1e-4, `Q(${x}, ${df}) = ${chiSquareSurvival(x, df)}`);
  assert.equal(chiSquareSurvival(0, 3), 1);
});

test('homogeneity: one distribution is not told apart; a moved one is, with enough samples', () => {
  assert.equal(homogeneity([10, 10, 10], [20, 20, 20]).p > 0.99, true);
  const small = homogeneity([1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]);
  assert.ok(small.p > 0.001, `6 instances cannot show a shift at 0.1%: p ${small.p}`);
  const big = homogeneity([100, 100, 0], [0, 100, 100]);
  assert.ok(big.p < 1e-20, `p ${big.p}`);
  assert.deepEqual(homogeneity([5, 0], [0, 0]), { statistic: 0, df: 0, p: 1 });
  assert.equal(homogeneity([7], [3]).p, 1, 'one class: nothing to compare');
});
