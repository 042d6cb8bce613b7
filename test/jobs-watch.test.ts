import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { SETTING } from '../src/daemon/upgrade-settings';
import { isTerminal } from '../src/store/job-states';
import { validateMessage } from '../src/contract/validate';
import { jobMessage } from '../src/daemon/fleet/job-message';
import { describeCommit } from '../src/jobs/outcome';
import { SwapWatch, totalVariation, WatchFigures } from '../src/jobs/swap-watch';
import { loadServedModel, ModelSlot } from '../src/serve';
import type { ServedModel } from '../src/serve/served-model';
import { useTestBackend } from './helpers/backend';
import { MODEL, testRule } from './helpers/jobs-fixtures';
import { makeRig, serveRig, waitFor, watchRig } from './helpers/jobs-runner';
import { DEFAULT_MODEL } from './helpers/serve-models';

let backend: string;
before(async () => {
  backend = await useTestBackend();
});

const x = new Float32Array(784);

function answer(slot: ModelSlot, served: ServedModel, id: string, classes: number[], ms = 1): void {
  slot.observePredict({ requestId: id, served, x, count: classes.length, classes, ms });
}

/**
 * A slot that served v1 (classes 0..9 evenly, 10 labelled answers of which 9 right), then swapped to v2;
 * closed after the test. A watch judges v2 by everything v2 answered, so each watch gets a slot of its own.
 */
async function swappedSlot(t: { after(fn: () => unknown): void }): Promise<ModelSlot> {
  const slot = new ModelSlot('watched');
  t.after(() => slot.close());
  await slot.swap(await loadServedModel(DEFAULT_MODEL, 1));
  for (let k = 0; k < 10; k++) {
    answer(slot, slot.current()!, `old-${k}`, [k % 10, (k + 5) % 10], 2);
    slot.observeFeedback({
      requestId: `old-${k}`,
      version: 1,
      labels: k === 0 ? [9, 5] : [k % 10, (k + 5) % 10],
      classes: [k % 10, (k + 5) % 10],
    });
  }
  await slot.swap(await loadServedModel(DEFAULT_MODEL, 2));
  return slot;
}

test('total variation distance: 0 for the same distribution, 1 for disjoint ones, counts of any scale', () => {
  assert.equal(totalVariation([1, 1, 2], [10, 10, 20]), 0);
  assert.equal(totalVariation([5, 0], [0, 3]), 1);
  assert.equal(totalVariation([3, 1], [1, 3]), 0.5);
  assert.equal(totalVariation([1, 1], [1, 1, 2]), 0.5);
});

test("the watch rolls back when the new version's answered classes move away from the old one's beyond noise, and says by how much", async (t) => {
  const slot = await swappedSlot(t);
  const watch = new SwapWatch(slot, 2, 1, { minutes: 1, minRequests: 8 });
  for (let k = 0; k < 12; k++) answer(slot, slot.current()!, `new-${k}`, [3, 3]);
  const figures: WatchFigures = await watch.done;
  assert.equal(figures.verdict, 'rolled-back');
  // 16 instances of class 3 against 20 spread over ten classes: chi-square 28.8 on 9 df, p 0.0007
  assert.equal(figures.requests, 8, 'judged from the 8th request on');
  assert.equal(figures.shift, 0.9);
  assert.equal(
    figures.reason,
    "v2's answered classes moved 90.0% (total variation) from v1's over 16 instances, beyond noise at 99.9% confidence (chi-square 28.8, 9 df; limit 25.0%)",
  );
  assert.equal(figures.fromP99Ms, 2);
});

test('the watch does not roll back on noise: a class shift, a failure or a wrong label that small samples of a good version show', async (t) => {
  const slot = await swappedSlot(t);
  // six instances over six classes against v1's ten: 40% apart, as two small samples of one distribution are
  const watch = new SwapWatch(slot, 2, 1, { minutes: 0.005, minRequests: 3, maxErrorRate: 0.02 });
  for (let k = 0; k < 3; k++) answer(slot, slot.current()!, `n-${k}`, [2 * k, 2 * k + 1]);
  // one failure in 21 requests: 4.8%, above the 2% limit on its face
  for (let k = 3; k < 20; k++) answer(slot, slot.current()!, `n-${k}`, [k % 10, (k + 5) % 10]);
  slot.observeFailure(2);
  // 39 of 40 labels right against v1's 19 of 20
  for (let k = 0; k < 20; k++)
    slot.observeFeedback({
      requestId: `n-${k}`,
      version: 2,
      labels: k === 0 ? [7, 1] : [k % 10, (k + 5) % 10],
      classes: k === 0 ? [0, 1] : [k % 10, (k + 5) % 10],
    });
  const f = await watch.done;
  assert.equal(f.verdict, 'passed', f.reason ?? '');
  assert.equal(f.failures, 1);
  assert.ok(f.errorRate! > 0.02);
  assert.equal(f.accuracy, 0.975);
});

test('the watch rolls back on failed requests and on labelled accuracy below the old version, passes when its minutes run out within every limit, and ends when another version serves', async (t) => {
  {
    const slot = await swappedSlot(t);
    const errors = new SwapWatch(slot, 2, 1, { minutes: 1, minRequests: 4, maxShift: 1 });
    for (let k = 0; k < 4; k++) slot.observeFailure(2);
    const e = await errors.done;
    assert.equal(e.verdict, 'rolled-back');
    assert.equal(e.errorRate, 1);
    assert.equal(e.reason, 'v2 failed 100.0% of 4 predict requests: more than the limit 2.0% at 99.9% confidence');
  }
  {
    const slot = await swappedSlot(t);
    const labelled = new SwapWatch(slot, 2, 1, { minutes: 1, minRequests: 10, maxShift: 1 });
    for (let k = 0; k < 40; k++) {
      answer(slot, slot.current()!, `l-${k}`, [k % 10, k % 10]);
      slot.observeFeedback({
        requestId: `l-${k}`,
        version: 2,
        labels: [k % 10, (k + 1) % 10],
        classes: [k % 10, k % 10],
      });
    }
    const l = await labelled.done;
    assert.equal(l.verdict, 'rolled-back');
    assert.equal(l.accuracy, 0.5);
    assert.equal(l.fromAccuracy, 0.95);
    assert.match(
      l.reason!,
      /^v2's labelled accuracy 50\.0% on \d+ labels is 45\.0 points below v1's 95\.0% on 20: more than the limit 3\.0 points at 99\.9% confidence$/,
    );
  }
  {
    const slot = await swappedSlot(t);
    const slow = new SwapWatch(slot, 2, 1, { minutes: 1, minRequests: 4, maxShift: 1, maxLatencyRatio: 2 });
    for (let k = 0; k < 4; k++) answer(slot, slot.current()!, `s-${k}`, [k], 10);
    const sl = await slow.done;
    assert.equal(sl.verdict, 'rolled-back');
    assert.deepEqual([sl.p99Ms, sl.fromP99Ms], [10, 2]);
    assert.equal(sl.reason, "v2's p99 latency 10.0 ms is 5.00x v1's 2.0 ms (limit 2x)");
  }
  {
    const slot = await swappedSlot(t);
    const quiet = new SwapWatch(slot, 2, 1, { minutes: 0.002 });
    answer(slot, slot.current()!, 'q-1', [1]);
    const q = await quiet.done;
    assert.equal(q.verdict, 'passed');
    assert.equal(q.reason, null);
    assert.equal(q.requests, 1);
  }
  {
    const slot = await swappedSlot(t);
    const superseded = new SwapWatch(slot, 2, 1, { minutes: 1 });
    await slot.swap(await loadServedModel(DEFAULT_MODEL, 3));
    answer(slot, slot.current()!, 's-1', [1]);
    assert.equal((await superseded.done).verdict, 'superseded');
  }
});

test('after an automatic upgrade with a watch, failing predict requests on the new version make the daemon roll back by itself; the next automatic step is canceled and no upgrade follows until compute changes; the figures go on the upgrade job and the rollback', async (t) => {
  const rule = testRule({ automatic: true, targetDepth: 6, watch: { minutes: 2, minRequests: 8, maxErrorRate: 0.05 } });
  const rig = await makeRig(t, rule, backend);
  const { watcher, infos } = watchRig(t, rig, backend);
  const url = `${await serveRig(t, rig)}:predict`;
  const predict = (value: number) =>
    fetch(url, {
      method: 'POST',
      body: JSON.stringify({ instances: [Array.from({ length: 784 }, () => value)] }),
    }).then((r) => r.status);

  const first = await watcher.trigger('start');
  assert.ok(first.job, first.refused);
  const id = first.job.id;
  // depth 2 -> 3; the watcher asks for the next step (3 -> 4), which waits for the watch on v2
  const next = () => rig.store.jobs(5).find((j) => j.id !== id && j.kind === 'upgrade');
  await waitFor(() => isTerminal(rig.store.job(id)!.state) && next() !== undefined, 'the next automatic step');
  const job = rig.store.job(id)!;
  assert.equal(job.state, 'succeeded', job.reason ?? '');
  assert.equal(rig.slot.current()?.version, 2);
  const second = next()!;
  assert.equal(second.state, 'queued');
  const watching = rig.runner.watching()!;
  assert.deepEqual([watching.jobId, watching.version, watching.fromVersion], [id, 2, 1]);
  assert.deepEqual([watching.requests, watching.failures, watching.labelled], [0, 0, 0]);
  assert.ok(Date.parse(watching.endsAt) > Date.now());

  // 3e38 in every pixel overflows the network: v2 answers NaN, which the server refuses with a 500
  for (let k = 0; k < 2; k++) assert.equal(await predict(0.5), 200);
  for (let k = 0; k < 6; k++) assert.equal(await predict(3e38), 500);
  await waitFor(() => rig.store.job(id)!.result?.watch !== undefined, 'the watch to end');
  await waitFor(
    () => rig.slot.current()?.version === 1 && rig.runner.active() === undefined,
    'the rollback',
    20_000,
  ).catch((err) => {
    throw new Error(
      `${err.message}: ${JSON.stringify(rig.store.jobs(5).map((j) => [j.kind, j.state, j.reason]))} ${JSON.stringify(rig.logs.slice(-5))}`,
    );
  });
  const watch = rig.store.job(id)!.result?.watch as unknown as WatchFigures;
  assert.equal(watch.verdict, 'rolled-back');
  assert.equal(watch.requests, 2);
  assert.equal(watch.failures, 6);
  assert.equal(watch.reason, 'v2 failed 75.0% of 8 predict requests: more than the limit 5.0% at 99.9% confidence');
  assert.equal(rig.store.committedVersion(MODEL)?.version, 1);
  const rollback = rig.store.jobs(10).find((j) => j.kind === 'rollback')!;
  assert.equal(rollback.state, 'succeeded');
  assert.equal(rollback.trigger, 'automatic');
  assert.equal(rollback.request.version, 1);
  assert.equal((rollback.request.watch as unknown as WatchFigures).reason, watch.reason);
  // the automatic upgrade that waited would grow the version rolled away from again: canceled, saying why
  const waited = rig.store.job(second.id)!;
  assert.equal(waited.state, 'canceled');
  assert.equal(waited.reason, 'the watch after the swap to v2 rolled it back');
  assert.ok(rig.states.some((s) => s.id === rollback.id && s.state === 'succeeded'));
  await rig.runner.idle();
  assert.equal(rig.runner.watching(), undefined);
  assert.equal(rig.store.getSetting(SETTING.handled), first.detection.fingerprint);
  assert.ok(
    infos.includes('the watch after a swap rolled back: no automatic upgrade until compute changes'),
    infos.join('\n'),
  );
  assert.equal(rig.store.jobs(10).length, 3, 'upgrade, the canceled next step, rollback: nothing after');
  // the fleet's job messages of both carry the watch, within the contract
  for (const j of [rig.store.job(id)!, rollback]) {
    const message = jobMessage(rig.store, MODEL, j);
    assert.deepEqual(validateMessage('job', message), { ok: true, value: message });
    assert.deepEqual(message.watch, watch);
  }
  // what deepend jobs says of both
  assert.match(describeCommit(rig.store.job(id)!)!, /, committed as v2; watch rolled-back: v2 failed 75\.0% of 8/);
  assert.equal(describeCommit(rollback), `back to v1, by the watch: ${watch.reason}`);
});

test("a rollout's next step, held behind a watch that then trips, is canceled saying why: the rollout sees its step fail", async (t) => {
  const rule = testRule({ targetDepth: 6, watch: { minutes: 2, minRequests: 8, maxErrorRate: 0.05 } });
  const rig = await makeRig(t, rule, backend);
  const url = `${await serveRig(t, rig)}:predict`;
  const first = rig.runner.request({ trigger: 'fleet', commandId: 'rollout:r:v1', toDepth: 3 });
  assert.ok(first.accepted, JSON.stringify(first));
  await waitFor(() => rig.runner.watching()?.jobId === first.job.id, 'the watch on v2');
  // desired state asks for the next step as soon as the first has swapped: the runner holds it for the watch
  const next = rig.runner.request({ trigger: 'fleet', commandId: 'rollout:r:v2', toDepth: 4 });
  assert.ok(next.accepted, JSON.stringify(next));
  await waitFor(() => rig.store.job(next.job.id)?.state === 'queued', 'the next step queued');
  for (let k = 0; k < 2; k++)
    await fetch(url, { method: 'POST', body: JSON.stringify({ instances: [Array.from({ length: 784 }, () => 0.5)] }) });
  for (let k = 0; k < 6; k++)
    await fetch(url, {
      method: 'POST',
      body: JSON.stringify({ instances: [Array.from({ length: 784 }, () => 3e38)] }),
    });
  await waitFor(() => isTerminal(rig.store.job(next.job.id)!.state), 'the next step to end', 60_000);
  const ended = rig.store.job(next.job.id)!;
  assert.equal(ended.state, 'canceled');
  assert.equal(ended.reason, 'the watch after the swap to v2 rolled it back');
  await waitFor(() => rig.slot.current()?.version === 1 && rig.runner.active() === undefined, 'the rollback', 30_000);
  await rig.runner.idle();
  assert.equal(rig.store.committedVersion(MODEL)?.version, 1);
});
