import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { DEFAULT_MODEL } from './helpers/cli';
import { loadDataset } from '../src/data/load';
import { splitDataset } from '../src/data/split';
import { loadModel } from '../src/model/io';
import { grow, GrowRequest } from '../src/grow/run';
import { AUTO_CANDIDATES, AUTO_TRIAL_SHARE, AutoChoice } from '../src/grow/auto';
import { checkMethodChoice } from '../src/grow/methods';

async function shippedGrowth(method: 'auto', autoCandidates?: GrowRequest['autoCandidates']) {
  const backend = await useTestBackend();
  const data = await loadDataset('mnist', {
    inputShape: [28, 28, 1],
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    limit: 1500,
  });
  const parent = await loadModel(DEFAULT_MODEL);
  const baseline = tf.memory().numTensors;
  const { model, report } = await grow({
    parent,
    method,
    toDepth: 3,
    split: splitDataset(data),
    budget: { seconds: SECONDS },
    backend,
    validateEverySamples: 256,
    autoCandidates,
  });
  model.dispose();
  assert.equal(tf.memory().numTensors, baseline, 'tensors leaked by the auto trials');
  parent.model.dispose();
  return report;
}

/**
 * The growths' budget. The trial comes at AUTO_TRIAL_SHARE of it, after at least one step; the rest is the kept
 * candidate's Stage II, which burns both cores for the whole budget: 12 s took 37.6 CPU-s alone, 6 s 19.0.
 */
const SECONDS = 6;

/** What holds of every auto report: each later candidate compared at the first's steps, the rule kept. */
function checkChoice(auto: AutoChoice, candidates: readonly string[]) {
  assert.deepEqual(
    auto.tried.map((t) => t.method),
    [...candidates],
  );
  const [first, ...later] = auto.tried;
  assert.equal(first.skipped, undefined);
  assert.equal(first.versus, undefined);
  assert.ok(first.steps! > 0, JSON.stringify(first));
  // The first is measured only when a later one is trained to be compared with it.
  assert.equal(
    first.validationAccuracy !== undefined,
    later.some((t) => !t.skipped),
    JSON.stringify(auto.tried),
  );
  assert.ok('seconds' in auto.trialPoint && auto.trialPoint.seconds <= SECONDS * AUTO_TRIAL_SHARE);
  // The pause came once the first candidate's Stage II had run to the trial point.
  assert.ok(first.seconds >= auto.trialPoint.seconds, JSON.stringify(auto));
  let kept = first;
  for (const t of later) {
    if (t.skipped) {
      assert.match(
        t.skipped,
        /^it starts as \w+ did \(\d+ of \d+ validation answers differ after initialisation\)|^its start is identity's \(Stage I refitted no site/,
      );
      continue;
    }
    // Equal trials: as many Stage II steps as the first had when it paused.
    assert.equal(t.steps, first.steps, JSON.stringify(auto.tried));
    assert.equal(t.versus?.method, kept.method, `${t.method} was not compared with the kept ${kept.method}`);
    assert.ok(t.versus!.lowerBound <= t.versus!.gain, JSON.stringify(t.versus));
    if (t.versus!.lowerBound > 0) kept = t;
  }
  assert.equal(auto.chosen, kept.method, JSON.stringify(auto.tried));
  for (const t of auto.tried.filter((x) => x.validationAccuracy !== undefined))
    assert.match(auto.reason, new RegExp(`${t.method} ${(t.validationAccuracy! * 100).toFixed(2)}%`));
  return kept;
}

test("method 'auto' on the shipped model: grows identity, pauses its Stage II to try dils for as many steps, keeps identity unless dils is surely better on validation, and says why", async () => {
  const report = await shippedGrowth('auto');
  const auto = report.auto!;
  assert.ok(auto, 'no auto section in the report');
  const kept = checkChoice(auto, AUTO_CANDIDATES);
  assert.equal(report.method, auto.chosen);
  const phases = report.phases;
  if (kept.method === 'identity') {
    // Identity's Stage II paused for the trial and went on: the pause lies inside it, and it kept training.
    assert.ok(
      phases.auto && phases.stage2.start <= phases.auto.start && phases.auto.end <= phases.stage2.end,
      JSON.stringify(phases),
    );
    assert.ok(report.stage2.steps > auto.tried[0].steps!, `${report.stage2.steps} Stage II steps`);
    assert.equal(report.curves.filter((c) => c.stage === 'auto').length, 0);
  }
  assert.ok(report.seconds < SECONDS * 1.5 + 3, `whole run ${report.seconds}s on a ${SECONDS}s budget`);
  assert.ok(report.accuracyAfter >= report.accuracyBefore - 0.02);
});

test("'auto' whose later candidate wins: the first's Stage II ends at the pause and the winner goes on from its trial", async () => {
  // A random new block starts far below the parent; identity starts at it, so it wins the paired test.
  const report = await shippedGrowth('auto', ['random', 'identity']);
  const auto = report.auto!;
  const kept = checkChoice(auto, ['random', 'identity']);
  assert.equal(kept.method, 'identity', JSON.stringify(auto.tried));
  assert.equal(report.method, 'identity');
  assert.ok(auto.tried[1].versus!.lowerBound > 0);
  const stages = report.curves.map((c) => `${c.stage}: ${c.detail ?? ''}`);
  assert.deepEqual(
    stages.filter((s) => s.startsWith('auto')),
    ["auto: random's Stage II until identity beat it", 'auto: trial of identity, carried on'],
  );
  // The winner's Stage II comes after the pause, with the rest of the budget.
  assert.ok(report.phases.auto && report.phases.stage2.start >= report.phases.auto.end - 1e-9);
  assert.ok(report.stage2.steps > 0);
  // Identity's start is the parent: the held-out accuracy after insertion is the parent's.
  assert.equal(report.accuracyAfterInsertion, report.accuracyBefore);
  assert.ok(report.seconds < SECONDS * 1.5 + 3, `whole run ${report.seconds}s on a ${SECONDS}s budget`);
});

test("'auto' is a method a user may name; a misspelt one lists it", () => {
  assert.equal(checkMethodChoice('auto'), 'auto');
  assert.equal(checkMethodChoice('dils'), 'dils');
  assert.throws(() => checkMethodChoice('autoo'), /use dils, identity, morphism, lookahead, random, auto/);
});
