import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { DEFAULT_MODEL } from './helpers/cli';
import { loadDataset } from '../src/data/load';
import { splitDataset } from '../src/data/split';
import { loadModel } from '../src/model/io';
import { grow } from '../src/grow/run';
import { AUTO_CANDIDATES, AUTO_SHARE } from '../src/grow/auto';
import { checkMethodChoice } from '../src/grow/methods';

test("method 'auto' on the shipped model: tries identity and dils at equal time, keeps identity unless another is surely better on validation, and says why", async () => {
  const backend = await useTestBackend();
  const data = await loadDataset('mnist', {
    inputShape: [28, 28, 1],
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    limit: 1500,
  });
  const split = splitDataset(data);
  const parent = await loadModel(DEFAULT_MODEL);
  const baseline = tf.memory().numTensors;
  const seconds = 12;
  const { model, report } = await grow({
    parent,
    method: 'auto',
    toDepth: 3,
    split,
    budget: { seconds },
    backend,
    validateEverySamples: 256,
  });
  const auto = report.auto!;
  assert.ok(auto, 'no auto section in the report');
  assert.deepEqual(
    auto.tried.map((t) => t.method),
    [...AUTO_CANDIDATES],
  );
  // The first always runs; a later one only while the trials' share lasts (a busy machine can spend it early).
  const ran = auto.tried.filter((t) => t.validationAccuracy !== undefined);
  assert.equal(auto.tried[0].skipped, undefined);
  // A later one is not trained when the share is spent, or when it starts as the kept one does (DILS on a conv
  // model whose Stage I finds nothing to refit).
  for (const t of auto.tried.filter((x) => x.skipped))
    assert.match(
      t.skipped!,
      /share of the budget .* was spent|^it starts as the kept one does \(\d+ of \d+ validation answers differ after initialisation\)/,
    );
  // Look-ahead's He-started block can still be far off after a second (measured: 14% to 43%).
  assert.ok(
    ran.every((t) => t.validationAccuracy! > 0),
    JSON.stringify(auto.tried),
  );
  // The first tried is kept; a later one replaces it only when its paired lower bound against the kept one is above 0.
  let kept = ran[0];
  for (const t of ran.slice(1)) {
    assert.equal(t.versus?.method, kept.method, `${t.method} was not compared with the kept ${kept.method}`);
    assert.ok(t.versus!.lowerBound <= t.versus!.gain, JSON.stringify(t.versus));
    if (t.versus!.lowerBound > 0) kept = t;
  }
  assert.equal(ran[0].versus, undefined);
  assert.equal(auto.chosen, kept.method, JSON.stringify(auto.tried));
  assert.equal(report.method, auto.chosen);
  for (const t of ran)
    assert.match(auto.reason, new RegExp(`${t.method} ${(t.validationAccuracy! * 100).toFixed(2)}%`));
  assert.equal(auto.trialBudget.seconds, (seconds * AUTO_SHARE) / AUTO_CANDIDATES.length);
  // Trials train for their share of time; building the model and the final validation come on top, hence the slack.
  for (const t of ran) assert.ok(t.seconds < auto.trialBudget.seconds! * 3 + 2, `${t.method} took ${t.seconds}s`);
  // The kept trial is carried on: its insertion lies inside auto's phase, its trial is a stage of the curve,
  // and Stage II follows auto.
  const phases = report.phases;
  assert.ok(
    phases.auto && phases.auto.start <= phases.insertion && phases.insertion < phases.auto.end,
    JSON.stringify(phases),
  );
  assert.ok(phases.stage2.start >= phases.auto.end - 1e-9, JSON.stringify(phases));
  const carried = report.curves.find((c) => c.stage === 'auto');
  assert.ok(
    carried && carried.detail === `trial of ${auto.chosen}, carried on`,
    JSON.stringify(report.curves.map((c) => c.stage)),
  );
  assert.ok(carried.epochs.length > 0 && carried.startSeconds! >= phases.insertion);
  assert.ok(report.seconds < seconds * 1.5 + 3, `whole run ${report.seconds}s on a ${seconds}s budget`);
  assert.ok(report.accuracyAfter >= report.accuracyBefore - 0.02);
  model.dispose();
  assert.equal(tf.memory().numTensors, baseline, 'tensors leaked by the auto trials');
  parent.model.dispose();
});

test("'auto' is a method a user may name; a misspelt one lists it", () => {
  assert.equal(checkMethodChoice('auto'), 'auto');
  assert.equal(checkMethodChoice('dils'), 'dils');
  assert.throws(() => checkMethodChoice('autoo'), /use dils, identity, morphism, lookahead, random, auto/);
});
