import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { ControlClient } from '../src/daemon/control-client';
import type { DaemonStatus } from '../src/daemon/status';
import { deviceTopics } from '../src/contract/topics';
import { startAedesBroker } from './helpers/brokers';
import { DaemonProcess, TEST_POLICY, testHome } from './helpers/daemon';
import { FleetObserver, type Seen } from './helpers/fleet-observer';

/** The test policy with a short watch after every swap: 15 s, and 8 requests with at most 5% failing. */
const WATCH_POLICY = TEST_POLICY.replaceAll(
  '    automatic: true',
  '    watch: { minutes: 0.25, minRequests: 8, maxErrorRate: 0.05 }\n    automatic: true',
);

// A rollout counts a device once its answer is final. With a watch after the swap, the step's job ends `succeeded`
// minutes before the device knows whether the new version stays: the device answers `running` (naming the watch)
// until the watch ends, then `succeeded`, or `failed` when the watch rolled the version back.
test('a rollout step with a watch after the swap: the device answers once the watch has ended, failed when it rolled back', {
  timeout: 300_000,
}, async (t) => {
  const broker = await startAedesBroker(t);
  const h = testHome(t);
  writeFileSync(h.policy, WATCH_POLICY);
  const observer = await FleetObserver.connect(broker.url);
  t.after(() => observer.close());
  const daemon = new DaemonProcess([], { ...h.env, DEEPEND_MQTT_URL: broker.url });
  t.after(() => daemon.kill());
  const url = await daemon.running();
  const client = new ControlClient(h.home);
  const topics = deviceTopics('default', 'test-device');
  await observer.waitFor((m) => m.topic === topics.birth && m.body !== null, 90_000, 'the birth');
  const reported = (rollout: string) =>
    observer.seen.filter((m) => m.topic === topics.reported && m.body?.rolloutId === rollout);
  const finalReport = (rollout: string) =>
    observer.waitFor(
      (m) => m.topic === topics.reported && m.body?.rolloutId === rollout && m.body.status !== 'running',
      240_000,
      `the final report of ${rollout}`,
    );
  const watchReport = (rollout: string, version: number) =>
    observer.waitFor(
      (m) =>
        m.topic === topics.reported &&
        m.body?.rolloutId === rollout &&
        m.body.status === 'running' &&
        String(m.body.reason).startsWith(`the watch after the swap to v${version} runs until `),
      240_000,
      `${rollout}: the report that the watch runs`,
    );
  /** A rollout's desired state for this device: one block up from the shipped depth 2. */
  const desire = (rolloutId: string) =>
    observer.publish(
      topics.desired,
      { rolloutId, toDepth: 3, method: 'identity', ts: new Date().toISOString() },
      { retain: true },
    );
  const predict = (value: number) =>
    fetch(`${url}/v1/models/default:predict`, {
      method: 'POST',
      body: JSON.stringify({ instances: [Array.from({ length: 784 }, () => value)] }),
    }).then((r) => r.status);

  await t.test('the watch rolls the new version back: the device answers failed, with the watch reason', async () => {
    await desire('trip');
    const watching = await watchReport('trip', 2);
    const jobId = String(watching.body!.jobId);
    const job = observer.seen.find((m) => m.topic === topics.job(jobId) && m.body?.status === 'succeeded');
    assert.ok(job && job.seq < watching.seq, 'the step succeeded before the device said the watch runs');
    assert.equal(watching.body!.depth, 3);
    // 3e38 in every pixel overflows the network: v2 answers NaN, which the server refuses with a 500
    for (let k = 0; k < 2; k++) assert.equal(await predict(0.5), 200);
    for (let k = 0; k < 6; k++) assert.equal(await predict(3e38), 500);
    const done = await finalReport('trip');
    assert.equal(done.body!.status, 'failed');
    assert.equal(done.body!.jobId, jobId);
    assert.match(
      String(done.body!.reason),
      /^the watch after the swap to v2 rolled it back: v2 failed 75\.0% of 8 predict requests/,
    );
    assert.deepEqual(
      reported('trip').map((m) => m.body!.status),
      ['running', 'running', 'failed'],
      'one report at the start, one when the watch began, one at its end',
    );
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      const s = await client.ok<DaemonStatus>('GET', '/status');
      if (s.model.committed?.version === 1 && !s.job) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal((await client.ok<DaemonStatus>('GET', '/status')).model.committed?.version, 1, 'rolled back to v1');
  });

  await t.test('the watch passes: the device answers succeeded only after it', async () => {
    await desire('pass');
    const watching = await watchReport('pass', 3);
    const done = await finalReport('pass');
    assert.equal(done.body!.status, 'succeeded', String(done.body!.reason));
    assert.equal(done.body!.depth, 3);
    const passed = observer.seen.find(
      (m: Seen) =>
        m.topic === topics.job(String(watching.body!.jobId)) &&
        (m.body?.watch as { verdict?: string } | undefined)?.verdict === 'passed',
    );
    assert.ok(passed, 'the job message carries the passed watch');
    assert.ok(watching.seq < passed.seq && passed.seq < done.seq, 'running (watch), the watch passed, succeeded');
    // by the device's own clock: the watch's 15 s lie between the two reports
    const waited = Date.parse(String(done.body!.ts)) - Date.parse(String(watching.body!.ts));
    assert.ok(waited >= 12_000, `answered ${waited} ms after the watch began`);
  });
  assert.equal((await daemon.stop()).code, 0);
});
