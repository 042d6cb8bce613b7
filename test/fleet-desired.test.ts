import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/util/log';
import { SHIPPED_MODEL_DIR } from '../src/daemon/shipped-model';
import { deviceTopics, groupDesiredTopic } from '../src/contract/topics';
import { startSimulatedDevice, type SimulatedDevice } from '../src/fleet/sim/simulated-device';
import type { PolicyRule } from '../src/policy/types';
import { verifyModelDir } from '../src/store/model-verify';
import { startAedesBroker } from './helpers/brokers';
import { FleetObserver } from './helpers/fleet-observer';

// Desired state with simulated devices (the real fleet agent, MQTT link and
// SQLite store; growth simulated): group documents, what a device obeys,
// precedence, multi-step convergence, and no repeat after a restart.

const FLEET = 'desired';
/** One block per job: reaching depth 4 from the shipped depth 2 takes two jobs. */
const RULE: PolicyRule = {
  name: 'step',
  match: {},
  targetDepth: 4,
  method: 'dils',
  maxStep: 1,
  budget: { epochs: 1 },
  gate: { minGain: 0, minAccuracy: 0 },
  automatic: false,
};

test('desired state: groups, precedence, several growth steps, and once per rollout across restarts', {
  timeout: 180_000,
}, async (t) => {
  const broker = await startAedesBroker(t);
  const root = mkdtempSync(join(tmpdir(), 'deepend-desired-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const meta = verifyModelDir(SHIPPED_MODEL_DIR);
  const model = {
    name: 'default',
    depth: meta.depth,
    accuracy: Number(meta.metrics.accuracy),
    sha256: meta.weightsSha256,
    dir: SHIPPED_MODEL_DIR,
  };
  const log = createLogger({ level: 'error', stream: process.stderr });
  const start = (deviceId: string, groups: string[]) =>
    startSimulatedDevice({
      root,
      deviceId,
      fleet: FLEET,
      groups,
      url: broker.url,
      model,
      rule: RULE,
      growSeconds: 0.2,
      accuracyGain: 0.001,
      telemetrySeconds: 0,
      log,
    });
  const running: SimulatedDevice[] = [];
  t.after(() => Promise.all(running.map((d) => d.stop())));
  const edge = await start('edge-1', ['edge']);
  const lab = await start('lab-1', ['lab']);
  running.push(edge, lab);
  const observer = await FleetObserver.connect(broker.url);
  t.after(() => observer.close());
  const reported = (id: string) => deviceTopics(FLEET, id).reported;

  await t.test(
    "a group's desired document is obeyed by its members only, in as many jobs as maxStep needs",
    async () => {
      await observer.publish(
        groupDesiredTopic(FLEET, 'edge'),
        { rolloutId: 'g1', toDepth: 4, ts: new Date().toISOString() },
        { retain: true },
      );
      const done = await observer.waitFor(
        (m) => m.topic === reported('edge-1') && m.body?.status === 'succeeded',
        60_000,
        'edge-1 converging',
      );
      assert.equal(done.body!.depth, 4);
      assert.equal(done.body!.source, 'group:edge');
      assert.equal(edge.store.jobs().length, 2, 'two growth steps of one block');
      assert.deepEqual(
        edge.store
          .jobs()
          .map((j) => j.commandId)
          .sort(),
        ['rollout:g1:v1', 'rollout:g1:v2'],
      );
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(observer.on(reported('lab-1')).length, 0);
      assert.equal(lab.store.jobs().length, 0, 'a device outside the group does nothing');
    },
  );

  await t.test("a device's own desired document wins over its group's", async () => {
    await observer.publish(
      groupDesiredTopic(FLEET, 'lab'),
      { rolloutId: 'g2', toDepth: 4, ts: new Date().toISOString() },
      { retain: true },
    );
    await observer.publish(
      deviceTopics(FLEET, 'lab-1').desired,
      { rolloutId: 'd1', toDepth: 3, ts: new Date().toISOString() },
      { retain: true },
    );
    const done = await observer.waitFor(
      (m) => m.topic === reported('lab-1') && m.body?.rolloutId === 'd1' && m.body.status === 'succeeded',
      60_000,
      'lab-1 at its own target',
    );
    assert.equal(done.body!.depth, 3);
    assert.equal(done.body!.source, 'device');
    assert.equal(lab.store.committedVersion('default')!.depth, 3);
  });

  await t.test('a restart neither repeats nor forgets a finished rollout', async () => {
    const jobsBefore = edge.store.jobs().length;
    await edge.stop();
    running.splice(running.indexOf(edge), 1);
    const again = await start('edge-1', ['edge']);
    running.push(again);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(again.store.jobs().length, jobsBefore);
  });

  await t.test('a desired document that breaks the contract is ignored, and the device carries on', async () => {
    await observer.publish(
      deviceTopics(FLEET, 'lab-1').desired,
      { rolloutId: 'bad', toDepth: 'deep' },
      { retain: true },
    );
    await observer.publish(deviceTopics(FLEET, 'lab-1').command('rebirth'), { commandId: 'after-bad' });
    const reply = await observer.waitFor(
      (m) => m.topic === deviceTopics(FLEET, 'lab-1').reply && m.body?.commandId === 'after-bad',
      30_000,
      'the rebirth reply',
    );
    assert.equal(reply.body!.ok, true);
    assert.equal(observer.on(reported('lab-1')).filter((m) => m.body?.rolloutId === 'bad').length, 0);
  });
});
