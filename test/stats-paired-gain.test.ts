import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binomialCdf, binomialUpperTail, clopperPearsonLower, logGamma } from '../src/stats/binomial';
import { decodeBits, discordantCounts, encodeBits } from '../src/stats/bitset';
import { mcnemarExactP, normalQuantile, pairedGain, samplesToBound } from '../src/stats/paired-gain';

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual}, expected ${expected}`);

test('binomial pieces: ln Γ, exact tails of small tables', () => {
  close(logGamma(5), Math.log(24), 1e-12, 'ln 4!');
  close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-12, 'ln Γ(1/2)');
  close(binomialCdf(2, 12, 0.5), 79 / 4096, 1e-14, 'P(X <= 2 | 12, 1/2) = (1 + 12 + 66) / 2^12');
  close(binomialUpperTail(9, 10, 0.8), 10 * 0.8 ** 9 * 0.2 + 0.8 ** 10, 1e-14, 'P(X >= 9 | 10, 0.8)');
  assert.equal(binomialCdf(12, 12, 0.3), 1);
  assert.equal(binomialUpperTail(0, 12, 0.3), 1);
});

test('exact McNemar p-values of small tables, computed by hand', () => {
  // d = n01 + n10 discordant pairs, n10 ~ Binomial(d, 1/2) under "equally accurate"
  close(mcnemarExactP(1, 6), (2 * (1 + 7)) / 128, 1e-14, '1 vs 6: 2 (C(7,0) + C(7,1)) / 2^7 = 0.125');
  close(mcnemarExactP(0, 5), 2 / 32, 1e-14, '0 vs 5: 2 / 2^5 = 0.0625');
  close(
    mcnemarExactP(10, 2),
    (2 * 79) / 4096,
    1e-14,
    '10 vs 2: 2 (1 + 12 + 66) / 2^12 = 0.0386, symmetric in the two counts',
  );
  assert.equal(mcnemarExactP(3, 3), 1, '3 vs 3: 2 * 42/64 > 1 is capped at 1');
  assert.equal(mcnemarExactP(0, 0), 1, 'no discordant pair: no evidence either way');
});

test('one-sided Clopper-Pearson lower limits: closed forms and the tail identity', () => {
  close(clopperPearsonLower(5, 5, 0.95), 0.05 ** (1 / 5), 1e-12, 'all 5 successes: p^5 = 0.05');
  close(clopperPearsonLower(1, 10, 0.95), 1 - 0.95 ** (1 / 10), 1e-9, '1 of 10: 1 - (1 - p)^10 = 0.05');
  const p = clopperPearsonLower(9, 10, 0.95);
  close(binomialUpperTail(9, 10, p), 0.05, 1e-9, 'P(X >= 9 | 10, p_L) = 0.05');
  close(p, 0.6058366975634952, 1e-8, 'the 5% quantile of Beta(9, 2)');
  close(clopperPearsonLower(30, 50, 0.95), 0.4738802511303443, 1e-8, '30 of 50: the 5% quantile of Beta(30, 21)');
  assert.equal(clopperPearsonLower(0, 10, 0.95), 0);
  assert.ok(clopperPearsonLower(9, 10, 0.99) < p, 'more confidence, lower limit');
});

test('the lower bound of the gain from the discordant pairs', () => {
  // 5 discordant of 2,000, all for the candidate: L = (5/2000)(2 * 0.05^(1/5) - 1)
  const up = pairedGain({ n: 2000, n01: 0, n10: 5 }, 0.95);
  close(up.gain, 0.0025, 1e-15, 'gain');
  close(up.lowerBound, (5 / 2000) * (2 * 0.05 ** 0.2 - 1), 1e-12, 'lower bound');
  close(up.pValue, 0.0625, 1e-14, 'p');
  // all 5 against it: π_L = 0, so the bound is -d/n: exactly the default maxLoss, which is not "above" it
  assert.equal(pairedGain({ n: 2000, n01: 5, n10: 0 }, 0.95).lowerBound, -0.0025);
  assert.equal(pairedGain({ n: 2000, n01: 0, n10: 0 }, 0.95).lowerBound, 0, 'identical predictions: no loss possible');
  // a true +0.5 point gain at a 3% disagreement rate (40 vs 20 of 2,000) is bounded well above -0.25 points
  const typical = pairedGain({ n: 2000, n01: 20, n10: 40 }, 0.95);
  assert.ok(typical.lowerBound > 0 && typical.lowerBound < typical.gain, `${typical.lowerBound}`);
  // and a -0.5 point loss (the mirror table) is caught
  assert.ok(pairedGain({ n: 2000, n01: 40, n10: 20 }, 0.95).lowerBound < -0.0025);
});

test('normal quantile and the held-out size a bound needs', () => {
  close(normalQuantile(0.95), 1.6448536269514722, 1e-8, 'z(0.95)');
  close(normalQuantile(0.5), 0, 1e-12, 'z(0.5)');
  close(normalQuantile(0.001), -3.090232306167813, 1e-8, 'z(0.001), the low tail');
  // gain 0, 10% disagreement, maxLoss 0.0025: n = z² q / maxLoss² = 1.6449² * 0.1 / 0.0025² ≈ 43,290
  close(
    samplesToBound({ n: 240, n01: 12, n10: 12 }, 0.95, 0.0025),
    Math.ceil((1.6448536269514722 ** 2 * 0.1) / 0.0025 ** 2),
    1,
    'n needed',
  );
  assert.equal(samplesToBound({ n: 240, n01: 12, n10: 6 }, 0.95, 0.0025), Infinity, 'a real loss: no size helps');
});

test('bitsets: round trip, compact, and the discordant counts of two models', () => {
  const parent = Uint8Array.from({ length: 2000 }, (_, i) => (i % 7 === 0 ? 0 : 1));
  const candidate = Uint8Array.from(parent, (v, i) => {
    if (i % 100 === 0) return 1;
    return i % 333 === 1 ? 0 : v;
  });
  const text = encodeBits(parent);
  assert.equal(text.length, 336, '2,000 flags in 250 bytes of base64');
  assert.deepEqual(decodeBits(text, 2000), parent);
  assert.deepEqual(decodeBits(encodeBits([1, 0, 1]), 3), Uint8Array.from([1, 0, 1]));
  assert.throws(() => decodeBits(text, 2100), /not a base64 bitset of 2100 samples/);
  assert.throws(() => decodeBits('!!!!', 8), /not a base64 bitset/);
  // i % 100 === 0 and i % 7 === 0: i = 0, 700, 1400 -> 3 gained; i % 333 === 1 and i % 7 !== 0 -> lost
  const lost = Array.from({ length: 2000 }, (_, i) => i).filter(
    (i) => i % 333 === 1 && i % 7 !== 0 && i % 100 !== 0,
  ).length;
  assert.deepEqual(discordantCounts(parent, candidate), { n: 2000, n01: lost, n10: 3 });
  assert.throws(() => discordantCounts(parent, candidate.subarray(1)), /2000 samples, the candidate on 1999/);
});
