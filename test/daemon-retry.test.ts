import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SETTING } from '../src/daemon/upgrade-settings';
import type { UpgradePlan } from '../src/jobs/plan';
import { useTestBackend } from './helpers/backend';
import { testRule } from './helpers/jobs-fixtures';
import { makeRig, waitFor, watchRig } from './helpers/jobs-runner';

test('an automatic upgrade the gate rejects is grown again with another seed up to `retries`, then waits for compute to change; a manual one is not retried', {
  timeout: 360_000,
}, async (t) => {
  const backend = await useTestBackend();
  // a gain of 50 points: every try is rejected by the gate
  const rule = testRule({
    automatic: true,
    retries: 2,
    budget: { minutes: 2 / 60 },
    gate: { minGain: 0.5, minAccuracy: 0 },
  });
  const rig = await makeRig(t, rule, backend);
  const { watcher, infos } = watchRig(t, rig, backend);

  const first = await watcher.trigger('start');
  assert.ok(first.job, first.refused);
  const fingerprint = first.detection.fingerprint;
  await waitFor(() => rig.store.getSetting(SETTING.handled) === fingerprint, 'the third rejection', 300_000);
  await rig.runner.idle();

  const jobs = rig.store.jobs(10).reverse();
  assert.equal(jobs.length, 3, JSON.stringify(jobs.map((j) => [j.state, j.reason])));
  assert.deepEqual(
    jobs.map((j) => [j.trigger, j.state]),
    [
      ['automatic', 'rejected'],
      ['automatic', 'rejected'],
      ['automatic', 'rejected'],
    ],
  );
  assert.deepEqual(
    jobs.map((j) => j.request.attempt ?? 1),
    [1, 2, 3],
  );
  assert.deepEqual(
    jobs.map((j) => j.request.retryOf ?? null),
    [null, jobs[0].id, jobs[1].id],
  );
  for (const j of jobs) assert.match(j.reason!, /^gate not met: gain .* is below the minimum \+50\.00 points/);
  const seeds = jobs.map(
    (j) =>
      (rig.store.transitions(j.id).find((tr) => tr.detail.plan !== undefined)!.detail.plan as unknown as UpgradePlan)
        .seed,
  );
  assert.deepEqual(seeds, [1, 1001, 2001], 'another seed each try');
  assert.ok(
    infos.includes('automatic upgrade ended without success after 3 tries: not retried until compute changes'),
    infos.join('\n'),
  );
  assert.equal((await watcher.decide('check')).decision.action, 'none', 'the device waits for the next trigger');

  const manual = rig.runner.request({ trigger: 'manual' });
  assert.ok(manual.accepted);
  await rig.runner.idle();
  assert.equal(rig.store.job(manual.job.id)!.state, 'rejected');
  await watcher.decide('after the manual job');
  assert.equal(rig.store.jobs(10).length, 4, 'a rejected manual job is not retried');
  assert.equal(rig.runner.active(), undefined);
});

test('a retry that asks for a larger held-out share grows and is gated on that share of the data', {
  timeout: 180_000,
}, async (t) => {
  const backend = await useTestBackend();
  const rule = testRule({ budget: { minutes: 2 / 60 }, gate: { minGain: 0.5, minAccuracy: 0 } });
  const rig = await makeRig(t, rule, backend);
  const sizes: number[] = [];
  for (const heldOutFraction of [undefined, 0.35]) {
    const asked = rig.runner.request({
      trigger: 'automatic',
      attempt: 2,
      ...(heldOutFraction ? { heldOutFraction } : {}),
    });
    assert.ok(asked.accepted);
    await rig.runner.idle();
    const job = rig.store.job(asked.job.id)!;
    assert.equal(job.state, 'rejected', job.reason ?? '');
    const plan = rig.store.transitions(job.id).find((tr) => tr.detail.plan !== undefined)!.detail
      .plan as unknown as UpgradePlan;
    assert.equal(plan.heldOutFraction, heldOutFraction ?? 0.2);
    sizes.push(job.result!.n as number);
  }
  // 1,200 samples, split per class: about 240 and 420 held out
  assert.ok(Math.abs(sizes[0] - 240) <= 10 && Math.abs(sizes[1] - 420) <= 10, `held-out samples ${sizes}`);
});
