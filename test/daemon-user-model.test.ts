import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/tf';
import { ControlClient } from '../src/daemon/control-client';
import type { DaemonStatus } from '../src/daemon/status';
import { loadDataset } from '../src/data/load';
import { useTestBackend } from './helpers/backend';
import { DaemonProcess, testHome, waitForJob } from './helpers/daemon';
import { startAedesBroker } from './helpers/brokers';
import { FleetObserver } from './helpers/fleet-observer';
import { REPO, runCli } from './helpers/cli';
import { exportConverterDir, freezeBackbone, loadPlain, trainedUserModel } from './helpers/user-models';

const BLOCKS_MORE_POLICY = `name: user-model-test
rules:
  - name: one-more
    match: {}
    blocksMore: 1
    method: dils
    denseMethod: identity
    maxStep: 1
    budget: { epochs: 1 }
    gate: { minGain: -0.05, minAccuracy: 0, maxLoss: 1 }
    automatic: true
`;

// The gate lets through any candidate that loses under 5 points: this test checks the import, the lineage and
// blocksMore, not the gain. The user's model is trained afresh (unseeded) on each run, and one identity epoch on
// it gained -1.80 to +6.00 points over 56 fresh models (`deepend grow` with these settings at ea303b1), 4 of them
// below -1.00: a project CI run rejected a -1.40 candidate at the old floor of -1.00.

/** The automatic upgrade queued at start ends succeeded. */
async function automaticUpgradeSucceeds(client: ControlClient): Promise<void> {
  const jobs = await client.ok<{ jobs: { id: string; trigger: string }[] }>('GET', '/jobs');
  const auto = jobs.jobs.find((j) => j.trigger === 'automatic');
  assert.ok(auto, 'an automatic upgrade was queued at start');
  const job = await waitForJob(client, auto.id, 450_000);
  assert.equal(job.state, 'succeeded', job.reason ?? '');
}

// A user's model through the daemon: config model.path imports it (never the shipped model), serving takes its
// native instance shape in raw pixels, a policy's blocksMore counts from its depth at import, and a new file at
// model.path becomes the next version.
test('the daemon serves and upgrades the user model named by model.path', { timeout: 720_000 }, async (t) => {
  await useTestBackend();
  const root = mkdtempSync(join(tmpdir(), 'deepend-user-model-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const transfer = await trainedUserModel('transfer');
  const modelPath = exportConverterDir(freezeBackbone(transfer), join(root, 'my-model'));
  const h = testHome(t);
  writeFileSync(h.policy, BLOCKS_MORE_POLICY);
  const broker = await startAedesBroker(t);
  const observer = await FleetObserver.connect(broker.url, { protocolVersion: 4 });
  t.after(() => observer.close());
  const env = { ...h.env, DEEPEND_MODEL_PATH: modelPath, DEEPEND_MQTT_URL: broker.url };
  const client = new ControlClient(h.home);
  let daemon = new DaemonProcess([], env);
  t.after(() => daemon.kill());
  const url = await daemon.running();

  await t.test('v1 is the imported model, status names its origin, predict takes raw [28, 28] pixels', async () => {
    const s = await client.ok<DaemonStatus>('GET', '/status');
    assert.equal(s.model.committed?.version, 1);
    assert.equal(s.model.committed?.depth, 1);
    assert.equal(s.model.origin?.format, 'tfjs-layers');
    assert.equal(s.model.origin?.source, modelPath);
    assert.equal(s.model.origin?.depthAtImport, 1);
    const birth = await observer.waitFor((m) => m.topic.endsWith('/birth') && m.body !== null, 90_000, 'birth');
    assert.deepEqual((birth.body!.model as { origin: unknown }).origin, {
      format: 'tfjs-layers',
      producer: 'tfjs-layers 4.22.0, TensorFlow.js Converter v4.22.0, keras v2.15.0',
      depthAtImport: 1,
    });
    const digits = await loadDataset('mnist', { limit: 20 });
    const raw = Array.from({ length: 3 }, (_, i) =>
      Array.from({ length: 28 }, (_, r) =>
        Array.from(digits.x.subarray(i * 784 + r * 28, i * 784 + r * 28 + 28), (v) => Math.round(v * 255)),
      ),
    );
    const res = await fetch(`${url}/v1/models/default:predict`, {
      method: 'POST',
      body: JSON.stringify({ instances: raw }),
    });
    assert.equal(res.status, 200);
    const served = ((await res.json()) as { predictions: number[][] }).predictions;
    const plain = await loadPlain(modelPath);
    const expected = (plain.predict(tf.div(tf.tensor(raw), 255)) as tf.Tensor).arraySync() as number[][];
    const diff = Math.max(...served.flatMap((row, i) => row.map((v, j) => Math.abs(v - expected[i][j]))));
    assert.ok(diff < 1e-4, `served answers differ from the model's own by ${diff}`);
    plain.dispose();
  });

  await t.test(
    'blocksMore: 1 upgrades the imported depth 1 to 2 once, and no further; its dense head grows by denseMethod',
    async () => {
      await automaticUpgradeSucceeds(client);
      const s = await client.ok<DaemonStatus>('GET', '/status');
      assert.equal(s.model.committed?.depth, 2);
      assert.equal(s.policy?.rule?.targetDepth, 2);
      // the chain after the frozen backbone is one Dense ReLU layer: the rule's denseMethod (identity) grew it
      const models = await client.ok<{ versions: { version: number; method: string | null }[] }>('GET', '/models');
      assert.equal(models.versions.find((v) => v.version === 2)?.method, 'identity', JSON.stringify(models.versions));
      const said = daemon.lines.find((l) => l.msg === 'job method');
      assert.equal(said?.method, 'identity');
      assert.match(String(said?.reason), /every growth site is a Dense layer/);
      const again = await client.ok<{ decision: { action: string; reason: string } }>('POST', '/detect');
      assert.equal(again.decision.action, 'none');
    },
  );

  await t.test(
    'a restart keeps the lineage; a new model at model.path becomes the next committed version',
    async () => {
      assert.deepEqual(await daemon.stop('SIGTERM'), { code: 0, signal: null }, daemon.stderr);
      daemon = new DaemonProcess([], env);
      await daemon.running();
      let s = await client.ok<DaemonStatus>('GET', '/status');
      assert.equal(s.model.committed?.version, 2, 'the same file is not imported twice');
      assert.deepEqual(await daemon.stop('SIGTERM'), { code: 0, signal: null }, daemon.stderr);
      const cnn = await trainedUserModel('digits_cnn');
      rmSync(modelPath, { recursive: true });
      exportConverterDir(cnn, modelPath);
      daemon = new DaemonProcess([], env);
      await daemon.running();
      s = await client.ok<DaemonStatus>('GET', '/status');
      assert.equal(s.model.committed?.version, 3);
      assert.equal(s.model.committed?.depth, 3);
      assert.equal(s.model.origin?.depthAtImport, 3);
      assert.ok(daemon.lines.some((l) => l.msg === 'user model imported'));
    },
  );
});

test('deepend models import swaps a user model into a running daemon, and commits it for the next start when none runs', {
  timeout: 720_000,
}, async (t) => {
  await useTestBackend();
  const root = mkdtempSync(join(tmpdir(), 'deepend-models-import-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const cnn = await trainedUserModel('digits_cnn');
  const cnnDir = exportConverterDir(cnn, join(root, 'cnn'));
  const transfer = await trainedUserModel('transfer');
  const transferDir = exportConverterDir(freezeBackbone(transfer), join(root, 'transfer'));
  const h = testHome(t);
  let daemon = new DaemonProcess([], h.env);
  t.after(() => daemon.kill());
  const url = await daemon.running();
  const live = await runCli(['models', 'import', cnnDir, '--json'], { env: h.env });
  assert.equal(live.code, 0, `${live.stderr}\n${daemon.lines.map((l) => JSON.stringify(l)).join('\n')}`);
  const answer = JSON.parse(live.stdout);
  assert.equal(answer.version, 2);
  assert.equal(answer.job.state, 'succeeded');
  assert.equal(answer.origin.format, 'tfjs-layers');
  const res = await fetch(`${url}/v1/models/default:predict`, {
    method: 'POST',
    body: JSON.stringify({ instances: [new Array(784).fill(0)] }),
  });
  assert.equal(res.headers.get('x-model-version'), '2');
  const jobs = await runCli(['jobs'], { env: h.env });
  assert.match(jobs.stdout, /\bimport\b.* imported as v2$/m);
  const versions = await runCli(['models'], { env: h.env });
  assert.match(versions.stdout, /^\* v2 +3 +imported tfjs-layers /m, versions.stdout);
  assert.match(versions.stdout, /^ {2}v1 +2 +shipped /m, versions.stdout);
  // the policy decides afresh for the imported model: its depth 3 is above the rule's 2, so nothing to do
  await daemon.waitFor((l) => l.msg === 'an imported model serves: the policy decides its upgrade afresh');
  const decided = await daemon.waitFor(
    (l) => l.msg === 'no automatic upgrade' && /job succeeded/.test(String(l.after)),
  );
  assert.match(String(decided.why), /asks for depth 2; the committed model has 3/);
  assert.deepEqual(await daemon.stop('SIGTERM'), { code: 0, signal: null }, daemon.stderr);
  const offline = await runCli(['models', 'import', transferDir], { env: h.env });
  assert.equal(offline.code, 0, offline.stderr);
  assert.match(
    offline.stdout,
    /as default v3: depth 1, held-out \d+\.\d+% \(no daemon running: committed for its next start\)/,
  );
  daemon = new DaemonProcess([], h.env);
  await daemon.running();
  const s = await new ControlClient(h.home).ok<DaemonStatus>('GET', '/status');
  assert.equal(s.model.committed?.version, 3);
  assert.equal(s.model.origin?.source, transferDir);
  // imported at depth 1, below the rule's 2: the start queues its automatic upgrade (compute did not change)
  const queued = await daemon.waitFor((l) => l.msg === 'job queued' && l.trigger === 'automatic');
  assert.equal(queued.kind, 'upgrade');
  const bad = await runCli(['models', 'import', join(root, 'nope')], { env: h.env });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /nope: not found/);
});

test("a Keras model whose head has no hidden layer (the transfer-learning tutorial's) serves at depth 0 and gets one", {
  timeout: 600_000,
}, async (t) => {
  const h = testHome(t);
  writeFileSync(h.policy, BLOCKS_MORE_POLICY);
  const broker = await startAedesBroker(t);
  const observer = await FleetObserver.connect(broker.url, { protocolVersion: 4 });
  t.after(() => observer.close());
  const modelPath = join(REPO, 'test', 'fixtures', 'keras', 'head_only.keras');
  const client = new ControlClient(h.home);
  const daemon = new DaemonProcess([], {
    ...h.env,
    DEEPEND_MODEL_PATH: modelPath,
    DEEPEND_MQTT_URL: broker.url,
    DEEPEND_DATA_LIMIT: '1500',
  });
  t.after(() => daemon.kill());
  await daemon.running();
  // the birth of v1 says depth 0: the contract takes a served model of no hidden layer
  const birth = await observer.waitFor((m) => m.topic.endsWith('/birth') && m.body !== null, 90_000, 'birth');
  assert.equal((birth.body!.model as { depth: number }).depth, 0);
  await automaticUpgradeSucceeds(client);
  const s = await client.ok<DaemonStatus>('GET', '/status');
  assert.deepEqual([s.model.committed?.version, s.model.committed?.depth, s.model.origin?.depthAtImport], [2, 1, 0]);
  const said = daemon.lines.find((l) => l.msg === 'job method');
  assert.equal(said?.method, 'identity');
  assert.match(String(said?.reason), /the one growth site is the Dense first hidden layer the head gets/);
  // a rollback to the imported head reaches the fleet: its job message goes back to depth 0
  const back = await runCli(['rollback', '1'], { env: h.env });
  assert.equal(back.code, 0, back.stderr);
  const rolledBack = await observer.waitFor(
    (m) => m.topic.includes('/jobs/') && m.body?.kind === 'rollback' && m.body?.status === 'succeeded',
    60_000,
    'the rollback job message',
  );
  assert.deepEqual([rolledBack.body!.depthBefore, rolledBack.body!.depthAfter], [1, 0]);
});
