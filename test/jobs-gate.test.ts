import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../src/data/load';
import { splitDataset } from '../src/data/split';
import { childMeta } from '../src/grow/child-meta';
import { grow } from '../src/grow/run';
import type { GrowReport } from '../src/grow/report';
import { readCandidate, REPORT_JSON } from '../src/jobs/candidate';
import { bestCaseRefusal, checkGate, describeGateFigures } from '../src/jobs/gate';
import { pairedGain } from '../src/stats/paired-gain';
import { heldOutFractionForRetry, MAX_HELD_OUT_FRACTION } from '../src/jobs/held-out-share';
import { requestProblem } from '../src/jobs/plan';
import { loadModel, saveModel } from '../src/model/io';
import { GATE_DEFAULTS, gateSettings } from '../src/policy/gate';
import { decodeBits } from '../src/stats/bitset';
import { useTestBackend } from './helpers/backend';
import { DEFAULT_MODEL } from './helpers/cli';

const DEFAULT_GATE = gateSettings({ minGain: 0.001, minAccuracy: 0.9 });

test('the default gate: a +0.5 point gain on 2,000 samples commits, a 0.5 point loss and a tie inside the noise do not', () => {
  assert.deepEqual(DEFAULT_GATE, {
    minGain: 0.001,
    minAccuracy: 0.9,
    confidence: GATE_DEFAULTS.confidence,
    maxLoss: GATE_DEFAULTS.maxLoss,
  });
  const before = 0.9715;
  const gain = checkGate(
    { accuracyBefore: before, accuracyAfter: before + 0.005, pairs: { n: 2000, n01: 20, n10: 30 } },
    DEFAULT_GATE,
  );
  assert.equal(gain.pass, true, gain.reasons.join('; '));
  assert.ok(gain.figures.lowerBound! > -0.0025 && gain.figures.lowerBound! < 0.005);
  assert.equal(gain.figures.n10, 30);

  const loss = checkGate(
    { accuracyBefore: before, accuracyAfter: before - 0.005, pairs: { n: 2000, n01: 30, n10: 20 } },
    { ...DEFAULT_GATE, minGain: -1 },
  );
  assert.equal(loss.pass, false);
  assert.deepEqual(loss.reasons.length, 1);
  assert.match(
    loss.reasons[0],
    /^with 95% confidence the candidate is worse than the committed model by up to 1\.\d\d points, more than the 0\.25 points allowed \(20 vs 30 discordant of 2000, McNemar p = 0\.20\)$/,
  );

  // the gain is in points, with its sign, beside the committed model's accuracy in %
  const below = checkGate(
    { accuracyBefore: before, accuracyAfter: before - 0.0005, pairs: { n: 2000, n01: 1, n10: 0 } },
    DEFAULT_GATE,
  );
  assert.equal(
    below.reasons[0],
    "gain -0.05 points over the committed model's 97.15% on these 2000 held-out samples is below the minimum +0.10 points",
  );

  // +0.15 points is above minGain but its bound is not above -0.25 points at a 3% disagreement rate
  const noise = checkGate(
    { accuracyBefore: before, accuracyAfter: before + 0.0015, pairs: { n: 2000, n01: 27, n10: 30 } },
    DEFAULT_GATE,
  );
  assert.equal(noise.pass, false);
  assert.match(
    noise.reasons[0],
    /^the held-out part \(2000 samples\) is too small to bound the loss at 95% confidence: the candidate may be worse by up to 0\.\d\d points \(limit 0\.25 points\); about [\d,]+ would be needed at this disagreement rate/,
  );
});

test('a retry holds out more data only when too few held-out samples explain the rejection', () => {
  const rejected = (n10: number, n01: number) =>
    checkGate(
      { accuracyBefore: 0.97, accuracyAfter: 0.97 + (n10 - n01) / 2000, pairs: { n: 2000, n01, n10 } },
      DEFAULT_GATE,
    );
  // +0.30 points, 33 vs 27 discordant: the bound fails, about 2,700 samples would bound it -> 30%
  const small = rejected(33, 27);
  assert.equal(small.pass, false);
  assert.match(small.reasons.join(), /too small to bound the loss/);
  assert.equal(heldOutFractionForRetry(small.figures, 0.2), 0.3);
  // +0.10 points (exactly minGain), 31 vs 29: over 6,000 samples needed -> the cap
  assert.equal(heldOutFractionForRetry(rejected(31, 29).figures, 0.2), MAX_HELD_OUT_FRACTION);
  assert.equal(heldOutFractionForRetry(rejected(31, 29).figures, MAX_HELD_OUT_FRACTION), undefined, 'at the cap');
  // a gain under minGain, or a loss: more samples would not commit it
  assert.equal(heldOutFractionForRetry(rejected(30, 30).figures, 0.2), undefined);
  assert.equal(heldOutFractionForRetry(rejected(25, 35).figures, 0.2), undefined);
  // a candidate the gate passed, and one without per-sample results
  assert.equal(heldOutFractionForRetry(rejected(40, 10).figures, 0.2), undefined);
  assert.equal(heldOutFractionForRetry({ gain: 0.003, minGain: 0.001 }, 0.2), undefined);
  assert.equal(requestProblem({ trigger: 'automatic', heldOutFraction: 0.3 }), null);
  assert.match(
    String(requestProblem({ trigger: 'automatic', heldOutFraction: 0.9 })),
    /^heldOutFraction must be from 0\.05 to 0\.4/,
  );
});

test('the gate names every failed condition and a candidate without per-sample results', () => {
  const r = checkGate({ accuracyBefore: 0.9, accuracyAfter: 0.85 }, DEFAULT_GATE);
  assert.equal(r.pass, false);
  assert.equal(r.reasons.length, 3);
  assert.match(
    r.reasons[2],
    /no per-sample held-out results \(grown by an older deepend\): its loss cannot be bounded/,
  );
  assert.equal(r.figures.lowerBound, null);
  assert.equal(describeGateFigures(r.figures), 'gain -5.00 points');
  const ok = checkGate({ accuracyBefore: 0.9, accuracyAfter: 0.91, pairs: { n: 1000, n01: 0, n10: 10 } }, DEFAULT_GATE);
  assert.match(
    describeGateFigures(ok.figures)!,
    /^gain \+1\.00 points, 95% lower bound \+0\.\d\d \(limit -0\.25\), 10 vs 0 discordant of 1000, McNemar p = 0\.0020$/,
  );
});

test("a real candidate: report.json carries both models' held-out correctness, and the gate's counts agree with its accuracies", async (t) => {
  const backend = await useTestBackend();
  const data = await loadDataset('mnist', {
    inputShape: [28, 28, 1],
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    limit: 1200,
  });
  const split = splitDataset(data);
  const parent = await loadModel(DEFAULT_MODEL);
  const dir = join(mkdtempSync(join(tmpdir(), 'deepend-gate-')), 'candidate');
  t.after(() => rmSync(join(dir, '..'), { recursive: true, force: true }));
  const { model, report } = await grow({ parent, method: 'dils', toDepth: 3, split, budget: { epochs: 1 }, backend });
  try {
    await saveModel(model, childMeta(parent.meta, report), dir, { [REPORT_JSON]: JSON.stringify(report) });
  } finally {
    model.dispose();
    parent.model.dispose();
  }
  const saved = JSON.parse(readFileSync(join(dir, REPORT_JSON), 'utf8')) as GrowReport;
  const n = split.counts.test;
  assert.equal(saved.heldOutPairs.n, n);
  const count = (text: string) => decodeBits(text, n).reduce((a, b) => a + b, 0);
  assert.equal(count(saved.heldOutPairs.parentCorrect) / n, saved.accuracyBefore);
  assert.equal(count(saved.heldOutPairs.candidateCorrect) / n, saved.accuracyAfter);
  assert.ok(saved.heldOutPairs.parentCorrect.length <= Math.ceil(n / 6) + 4, 'a bitset, not an array');

  const candidate = readCandidate(dir)!;
  assert.ok(candidate.pairs, 'the summary carries the discordant counts');
  const { n01, n10 } = candidate.pairs;
  assert.equal(candidate.pairs.n, n);
  assert.ok(Math.abs((n10 - n01) / n - (candidate.accuracyAfter - candidate.accuracyBefore)) < 1e-12);
  const gate = checkGate(candidate, { ...DEFAULT_GATE, minAccuracy: 0 });
  assert.ok(gate.figures.lowerBound! < gate.figures.gain && gate.figures.lowerBound! >= -(n01 + n10) / n);
  // with 240 held-out samples one sample is 0.42 points: the default 0.25 point loss cannot be bounded unless none is lost
  if (n01 > 0) assert.match(gate.reasons.join('; '), /too small to bound the loss|worse than the committed model/);
});

test('bestCaseRefusal: growth is refused only when no candidate that breaks nothing, at the largest held-out share, can bound its loss', () => {
  const gate = gateSettings({ minGain: 0.001, minAccuracy: 0.9 });
  // 80 held out (a 400-row table), wrong on 3: fixing all 3 and breaking none gives the best bound, -0.99 points
  assert.equal(pairedGain({ n: 80, n01: 0, n10: 3 }, 0.95).lowerBound.toFixed(4), '-0.0099');
  assert.match(
    String(bestCaseRefusal({ n: 80, errors: 3 }, 80, gate)),
    /lower bound of -0\.99 points, not above the -0\.25 points/,
  );
  // the largest share holds out 160 of them, wrong on 6: fixing all 6 bounds above zero there, so it grows
  assert.equal(bestCaseRefusal({ n: 80, errors: 3 }, 160, gate), undefined);
  // the shipped digits: 2,000 held out, 57 wrong
  assert.equal(bestCaseRefusal({ n: 2000, errors: 57 }, 4000, gate), undefined);
  // a parent right on every held-out sample leaves no gain to make: refused while the gate asks for one
  assert.match(
    String(bestCaseRefusal({ n: 40, errors: 0 }, 80, gate)),
    /right on all 40 held-out samples, so no candidate can gain the 0\.10 points the gate asks \(minGain\)/,
  );
  assert.equal(bestCaseRefusal({ n: 40, errors: 0 }, 80, { ...gate, minGain: 0 }), undefined);
  // a loose maxLoss never refuses
  assert.equal(bestCaseRefusal({ n: 40, errors: 1 }, 40, { ...gate, maxLoss: 1 }), undefined);
  // the bound is not monotone in the fixes: 400 held out, wrong on 2, fixing both is -0.28 points, one -0.22
  assert.ok(pairedGain({ n: 400, n01: 0, n10: 2 }, 0.95).lowerBound < -0.0025);
  assert.ok(pairedGain({ n: 400, n01: 0, n10: 1 }, 0.95).lowerBound > -0.0025);
  assert.equal(bestCaseRefusal({ n: 400, errors: 2 }, 400, gate), undefined);
  // the figure it names is enough for the best candidate
  const said = Number(
    /fewer than about ([\d,]+)/.exec(String(bestCaseRefusal({ n: 40, errors: 1 }, 80, gate)))![1].replace(/,/g, ''),
  );
  assert.equal(bestCaseRefusal({ n: said, errors: Math.max(1, Math.round(said / 40)) }, said, gate), undefined);
});
