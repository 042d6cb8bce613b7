import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/tf';
import { loadMnist } from '../src/data/mnist';
import type { Dataset } from '../src/data/types';
import { validateMessage } from '../src/contract/validate';
import { jobMessage } from '../src/daemon/fleet/job-message';
import { describeCommit } from '../src/jobs/outcome';
import { describeShadow, ShadowFigures, shadowOnSlot, shadowProblems } from '../src/jobs/shadow-run';
import { loadServedModel, ModelSlot } from '../src/serve';
import { predictRows } from '../src/serve/predict';
import { classesOf } from '../src/serve/predict-tap';
import { isTerminal } from '../src/store/job-states';
import { useTestBackend } from './helpers/backend';
import { candidateEntries, MODEL, testRule } from './helpers/jobs-fixtures';
import { makeRig, serveRig, waitFor } from './helpers/jobs-runner';
import { DEFAULT_MODEL } from './helpers/serve-models';

let backend: string;
let digits: Dataset;
before(async () => {
  backend = await useTestBackend();
  digits = await loadMnist({ limit: 60 });
});

const PIXELS = 784;

/** Instances i..i+n-1 of the digits (taken round the set), as a predict body and their true labels. */
function sample(i: number, n: number): { instances: number[][]; labels: number[] } {
  const instances: number[][] = [];
  const labels: number[] = [];
  for (let k = 0; k < n; k++) {
    const at = ((i + k) * 7) % digits.count;
    instances.push(Array.from(digits.x.subarray(at * PIXELS, (at + 1) * PIXELS)));
    labels.push(digits.y[at]);
  }
  return { instances, labels };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

test('a shadow run between the gate and the swap: the candidate answers live predict requests beside v1, labels sent to :feedback score both, and the figures go into the commit and the job', async (t) => {
  const shadow = { requests: 6, minutes: 2, maxDisagreement: 1 };
  const rig = await makeRig(t, testRule({ targetDepth: 6, shadow }), backend);
  const base = await serveRig(t, rig);

  const answer = rig.runner.request({ trigger: 'manual' });
  assert.ok(answer.accepted);
  const id = answer.job.id;
  const inShadow = () => rig.store.transitions(id).some((tr) => tr.to === 'validating' && tr.detail.step === 'shadow');
  await waitFor(() => inShadow() || isTerminal(rig.store.job(id)!.state), 'the shadow step');
  assert.ok(inShadow(), rig.store.job(id)!.reason ?? rig.store.job(id)!.state);
  assert.equal(rig.slot.current()?.version, 1, 'v1 serves while the candidate shadows it');
  await waitFor(() => rig.runner.shadowing() !== undefined, 'the shadow run to start');
  const progress = rig.runner.shadowing()!;
  assert.deepEqual([progress.requests, progress.wanted], [0, 6]);
  assert.ok(Date.parse(progress.endsAt) > Date.now());
  const during = jobMessage(rig.store, MODEL, rig.store.job(id)!);
  assert.equal(during.step, 'shadow');
  assert.equal(during.status, 'running');
  assert.equal(during.percent, 93);

  // live traffic with labels, as a client that learns the truth later would send it
  let sent = 0;
  for (let k = 0; k < 300 && !isTerminal(rig.store.job(id)!.state); k++) {
    const { instances, labels } = sample(k * 4, 4);
    const p = await post(`${base}:predict`, { instances }, { 'x-request-id': `req-${k}` });
    assert.equal(p.status, 200, JSON.stringify(p.json));
    assert.equal(p.headers.get('x-request-id'), `req-${k}`);
    // by index on even requests, by label name on odd ones
    const given = k % 2 === 0 ? labels : labels.map((l) => String(l));
    const f = await post(`${base}:feedback`, { request_id: `req-${k}`, labels: given });
    assert.equal(f.status, 200, JSON.stringify(f.json));
    assert.equal(f.json.instances, 4);
    sent++;
    await new Promise((r) => setTimeout(r, 20));
  }
  await rig.runner.idle();
  const job = rig.store.job(id)!;
  assert.equal(job.state, 'succeeded', job.reason ?? '');
  assert.equal(rig.runner.shadowing(), undefined);
  assert.ok(sent >= shadow.requests, `${sent} requests sent`);
  const figures = job.result?.shadow as unknown as ShadowFigures;
  assert.equal(figures.servedVersion, 1);
  assert.equal(figures.requests, shadow.requests);
  assert.equal(figures.instances, shadow.requests * 4);
  assert.equal(figures.endedBy, 'requests');
  assert.ok(figures.disagreement !== null && figures.disagreement >= 0 && figures.disagreement <= 1);
  assert.ok(figures.servedP99Ms! > 0 && figures.candidateP99Ms! > 0, JSON.stringify(figures));
  assert.ok(figures.servedP50Ms! <= figures.servedP99Ms!);
  // the feedback of the compared requests (each answered before its labels were sent) scored both models
  assert.ok(figures.labelled > 0 && figures.labelled <= figures.instances, JSON.stringify(figures));
  assert.ok(figures.servedAccuracy! >= 0.5, `v1 is right on most digits: ${figures.servedAccuracy}`);
  assert.ok(figures.candidateAccuracy! >= 0 && figures.candidateAccuracy! <= 1);
  const path = rig.store.transitions(id).map((tr) => (tr.detail.step ? `${tr.to}:${tr.detail.step}` : tr.to));
  assert.deepEqual(path.slice(-4), ['validating', 'validating:shadow', 'swapping', 'succeeded']);
  assert.equal(rig.slot.current()?.version, 2);
  assert.deepEqual(candidateEntries(rig.home), []);
  // the fleet's job message carries the figures, within the contract
  const message = jobMessage(rig.store, MODEL, job);
  assert.deepEqual(validateMessage('job', message), { ok: true, value: message });
  assert.deepEqual(message.shadow, figures);
  assert.match(describeCommit(job)!, /, committed as v2; shadow: 6 requests, [0-9.]+% disagreed$/);
  assert.match(describeShadow(figures), /^shadow: 6 requests \(24 instances\) in [0-9.]+ s, disagreement/);

  // /metrics counts the labels by the version that answered and whether it was right
  const metrics = await (await fetch(base.replace(/\/v1\/.*$/, '/metrics'))).text();
  const counted = (correct: string) =>
    Number(
      new RegExp(
        `^deepend_feedback_labels_total\\{model="${MODEL}",version="1",correct="${correct}"\\} (\\d+)$`,
        'm',
      ).exec(metrics)?.[1] ?? 0,
    );
  assert.equal(counted('true') + counted('false'), 4 * sent, metrics);
  assert.ok(counted('true') > counted('false'), 'v1 is right on most digits');

  // a predict without an id gets one; feedback for what the server does not know is refused in one line
  const { instances } = sample(0, 2);
  const plain = await post(`${base}:predict`, { instances });
  assert.match(plain.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  const unknown = await post(`${base}:feedback`, { request_id: 'nobody', labels: [1] });
  assert.equal(unknown.status, 404);
  assert.match(String(unknown.json.error), /request "nobody" is not among the last 10000 predict answers/);
  const short = await post(`${base}:feedback`, { request_id: plain.headers.get('x-request-id'), labels: [1] });
  assert.equal(short.status, 400);
  assert.match(String(short.json.error), /had 2 instance\(s\); got 1 label\(s\)/);
  const wrong = await post(`${base}:feedback`, { request_id: plain.headers.get('x-request-id'), labels: ['cat', 1] });
  assert.equal(wrong.status, 400);
  assert.match(String(wrong.json.error), /labels\[0\] is "cat": give a class index from 0 to 9/);
  const noId = await post(`${base}:feedback`, { labels: [1] });
  assert.equal(noId.status, 400);
  assert.match(String(noId.json.error), /request_id is missing/);
  const numberId = await post(`${base}:feedback`, { request_id: 5, labels: [1] });
  assert.equal(numberId.status, 400);
  assert.match(String(numberId.json.error), /^request_id must be the x-request-id header's text, got 5$/);
  const notList = await post(`${base}:feedback`, { request_id: plain.headers.get('x-request-id'), labels: 3 });
  assert.equal(notList.status, 400);
  assert.match(String(notList.json.error), /^labels must be a list, one label per instance, got 3$/);
  // each answer is scored once; a client's id already answered is not reused
  const again = await post(`${base}:feedback`, { request_id: 'req-0', labels: sample(0, 4).labels });
  assert.equal(again.status, 409);
  assert.match(String(again.json.error), /^the labels of request req-0 were already sent/);
  const reused = await post(`${base}:predict`, { instances }, { 'x-request-id': 'req-0' });
  assert.equal(reused.status, 200);
  assert.match(reused.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
});

test('a candidate that answers another class than the served model is flagged with the figures; a shadow without traffic ends on its minutes; stop ends it at once', async () => {
  const slot = new ModelSlot('shadowed');
  await slot.swap(await loadServedModel(DEFAULT_MODEL, 1));
  // the same network with the bias of class 3 pushed far up: it answers 3 whatever it is shown
  const candidate = await loadServedModel(DEFAULT_MODEL, 2);
  const last = candidate.model.layers.filter((l) => l.getWeights().length === 2).at(-1)!;
  const [kernel, bias] = last.getWeights();
  const pushed = bias.arraySync() as number[];
  pushed[3] += 1000;
  last.setWeights([kernel, tf.tensor1d(pushed)]);
  try {
    const settings = { requests: 5, minutes: 1, maxDisagreement: 0.05 };
    let ended = false;
    const figures = await shadowOnSlot(slot, candidate, settings, () => {
      void (async () => {
        // until the shadow has compared its 5 (requests beyond its share of the thread go by uncompared)
        for (let k = 0; k < 200 && !ended; k++) {
          const { instances } = sample(k * 4, 4);
          const x = Float32Array.from(instances.flat());
          const served = slot.current()!;
          const classes = classesOf(predictRows(served, x, 4));
          slot.observePredict({ requestId: `r${k}`, served, x, count: 4, classes, ms: 1 });
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
    });
    ended = true;
    assert.equal(figures.requests, 5);
    assert.ok(figures.disagreement! > 0.5, JSON.stringify(figures));
    const problems = shadowProblems(figures, settings);
    assert.equal(problems.length, 1);
    assert.match(
      problems[0],
      /^the candidate answered another class than v1 on [0-9.]+% of 20 live instances \(limit 5\.0%\)$/,
    );
    assert.deepEqual(shadowProblems(figures, { ...settings, maxDisagreement: 1, maxLatencyRatio: 1e-9 }).length, 1);

    const quiet = await shadowOnSlot(slot, candidate, { requests: 5, minutes: 0.002, maxDisagreement: 0 }, () => {});
    assert.equal(quiet.endedBy, 'minutes');
    assert.equal(quiet.requests, 0);
    assert.equal(quiet.disagreement, null);
    assert.deepEqual(shadowProblems(quiet, { requests: 5, minutes: 1, maxDisagreement: 0 }), []);
    assert.match(describeShadow(quiet), /^shadow: no live request to compare on in/);

    const stopped = await shadowOnSlot(slot, candidate, { requests: 5, minutes: 5, maxDisagreement: 0 }, (run) =>
      run.stop(),
    );
    assert.equal(stopped.endedBy, 'stopped');
  } finally {
    candidate.model.dispose();
    await slot.close();
  }
});

test('a stop during the shadow run parks the job where it is, with its candidate; the next start shadows it again, and without traffic it ends on its minutes and swaps', async (t) => {
  const rig = await makeRig(
    t,
    testRule({ targetDepth: 6, shadow: { requests: 50, minutes: 0.05, maxDisagreement: 0 } }),
    backend,
  );
  const answer = rig.runner.request({ trigger: 'manual' });
  assert.ok(answer.accepted);
  const id = answer.job.id;
  await waitFor(
    () => rig.store.transitions(id).some((tr) => tr.detail.step === 'shadow') || isTerminal(rig.store.job(id)!.state),
    'the shadow step',
  );
  await rig.runner.stop();
  const parked = rig.store.job(id)!;
  assert.equal(parked.state, 'validating');
  assert.equal(rig.store.transitions(id).at(-1)!.detail.parked, true);
  assert.equal(candidateEntries(rig.home).length, 1, 'the candidate that passed its gate is kept');
  assert.equal(rig.slot.current()?.version, 1);

  rig.runner = rig.restart();
  const report = await rig.runner.recover();
  assert.deepEqual(report.resumed, [id]);
  await rig.runner.idle();
  const job = rig.store.job(id)!;
  assert.equal(job.state, 'succeeded', job.reason ?? '');
  assert.equal(job.attempts, 0, 'a stop is not a crash');
  const figures = job.result?.shadow as unknown as ShadowFigures;
  assert.equal(figures.endedBy, 'minutes');
  assert.equal(figures.requests, 0);
  const growths = rig.store.transitions(id).filter((tr) => tr.to === 'growing').length;
  assert.equal(growths, 2, 'stage1 and stage2 once: the candidate was not grown again');
  assert.equal(rig.slot.current()?.version, 2);
});
