import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { DEFAULT_MODEL, makeDeeperVersion } from './helpers/serve-models';
import { loadServedModel, Metrics, ModelSlot, ServedModel, serverPort, startServer, stopServer } from '../src/serve';
import { predictRows } from '../src/serve/predict';

let root: string;
let v2Dir: string;

before(async () => {
  await useTestBackend();
  root = mkdtempSync(join(tmpdir(), 'deepend-swap-'));
  v2Dir = await makeDeeperVersion(root);
});

after(() => rmSync(root, { recursive: true, force: true }));

const load = (version: 1 | 2) => loadServedModel(version === 1 ? DEFAULT_MODEL : v2Dir, version);

function isDisposed(served: ServedModel): boolean {
  try {
    served.model.weights[0].read();
    return false;
  } catch {
    return true;
  }
}

const pixels = Float32Array.from({ length: 784 }, (_, i) => ((i * 29) % 256) / 255);

test('a leased version keeps serving its request and is disposed only after release', async () => {
  const baseline = tf.memory().numTensors;
  const slot = new ModelSlot('default');
  const v1 = await load(1);
  await slot.swap(v1);
  const lease = slot.acquire()!;
  assert.equal(lease.served.version, 1);

  const v2 = await load(2);
  let swapped = false;
  const swap = slot.swap(v2).then(() => (swapped = true));
  await new Promise((r) => setTimeout(r, 20));
  // Switched: new requests get v2, while v1 drains with one request in flight.
  assert.equal(slot.current(), v2);
  assert.deepEqual(
    slot
      .versions()
      .map((v) => [v.version, v.state, v.inFlight])
      .sort(),
    [
      [1, 'UNLOADING', 1],
      [2, 'AVAILABLE', 0],
    ],
  );
  assert.equal(swapped, false, 'swap must wait for the in-flight request');
  assert.equal(isDisposed(v1), false);
  const during = predictRows(lease.served, pixels, 1);
  assert.equal(during[0].length, 10);
  const next = slot.acquire()!;
  assert.equal(next.served.version, 2);
  next.release();

  lease.release();
  lease.release(); // idempotent: must not drive the count negative
  await swap;
  assert.equal(isDisposed(v1), true);
  assert.equal(isDisposed(v2), false);
  assert.deepEqual(slot.versions(), [{ version: 2, state: 'AVAILABLE', inFlight: 0 }]);

  await slot.close();
  assert.equal(isDisposed(v2), true);
  assert.equal(slot.acquire(), undefined);
  assert.equal(tf.memory().numTensors, baseline, 'every tensor of both versions (and of the warm-ups) is freed');
});

test('a failed warm-up leaves the old version serving, disposes the new one and throws', async () => {
  const baseline = tf.memory().numTensors;
  const slot = new ModelSlot('default');
  const v1 = await load(1);
  await slot.swap(v1);

  const badLabels = await load(2);
  badLabels.meta = { ...badLabels.meta, labels: ['a', 'b', 'c'] };
  await assert.rejects(
    slot.swap(badLabels),
    /model default v2 failed its warm-up \(v1 keeps serving\): the model answers shape \[1,10\] for 1 input\(s\); meta.json lists 3 labels/,
  );
  const badShape = await load(2);
  badShape.meta = { ...badShape.meta, inputShape: [28, 28, 3] };
  await assert.rejects(slot.swap(badShape), /inputShape \[28,28,3\] disagrees with the model's input \[28,28,1\]/);
  assert.equal(slot.current(), v1);
  assert.equal(isDisposed(v1), false);
  assert.equal(isDisposed(badLabels) && isDisposed(badShape), true);
  assert.deepEqual(slot.swaps, { ok: 1, failed: 2, drained: 0 });
  await assert.rejects(slot.swap(v1), /already in the slot/);
  assert.equal(isDisposed(v1), false);
  await assert.rejects(loadServedModel(join(root, 'missing'), 3), /model directory not found/);
  assert.equal(slot.current(), v1);

  await slot.close();
  assert.equal(tf.memory().numTensors, baseline);
});

test('swaps queue: the last one requested ends up serving', async () => {
  const slot = new ModelSlot('default');
  const models = [await load(1), await load(2), await load(1)];
  await Promise.all(models.map((m) => slot.swap(m)));
  assert.equal(slot.current(), models[2]);
  assert.deepEqual(models.map(isDisposed), [true, true, false]);
  await slot.close();
});

test('swapping back and forth under 8 concurrent clients: zero failures, consistent versions, no leaks', async (t) => {
  const expected = new Map<number, number[]>();
  for (const v of [1, 2] as const) {
    const m = await load(v);
    expected.set(v, predictRows(m, pixels, 1)[0]);
    m.model.dispose();
  }
  assert.ok(Math.abs(expected.get(1)![0] - expected.get(2)![0]) > 0.01, 'the two versions must answer differently');

  const slot = new ModelSlot('default');
  const served: ServedModel[] = [await load(1)];
  await slot.swap(served[0]);
  const baseline = tf.memory().numTensors;
  const server = await startServer({
    port: 0,
    slots: new Map([['default', slot]]),
    metrics: new Metrics(),
    status: () => ({}),
  });
  const url = `http://127.0.0.1:${serverPort(server)}/v1/models/default:predict`;
  const body = JSON.stringify({ instances: [Array.from(pixels)] });

  const counts = { ok: 0, failed: [] as string[], inconsistent: [] as string[], byVersion: new Map<number, number>() };
  let running = true;
  const client = async () => {
    while (running) {
      try {
        const res = await fetch(url, { method: 'POST', body });
        const text = await res.text();
        if (res.status !== 200) {
          counts.failed.push(`${res.status} ${text}`);
          continue;
        }
        const version = Number(res.headers.get('x-model-version'));
        const row: number[] = JSON.parse(text).predictions[0];
        const want = expected.get(version);
        if (!want || row.some((p, j) => Math.abs(p - want[j]) > 1e-6))
          counts.inconsistent.push(`version ${version}: ${row.slice(0, 3)}`);
        counts.byVersion.set(version, (counts.byVersion.get(version) ?? 0) + 1);
        counts.ok++;
      } catch (err) {
        counts.failed.push(String(err));
      }
    }
  };

  const clients = Array.from({ length: 8 }, client);
  const started = Date.now();
  let swaps = 0;
  while (Date.now() - started < 3000 || slot.current()!.version !== 1) {
    await new Promise((r) => setTimeout(r, 100));
    const next = await load(slot.current()!.version === 1 ? 2 : 1);
    // Switch while earlier requests still lease the current version (they wait for
    // their micro-batch until the end of this turn of the event loop), so that the
    // drain is exercised rather than met by chance.
    const busy = () => slot.versions().some((v) => v.state === 'AVAILABLE' && v.inFlight > 0);
    for (let i = 0; i < 100 && !busy(); i++) await new Promise((r) => server.once('request', r));
    served.push(next);
    await slot.swap(next);
    swaps++;
  }
  running = false;
  await Promise.all(clients);
  await stopServer(server);
  t.diagnostic(
    `${counts.ok} answers (v1 ${counts.byVersion.get(1)}, v2 ${counts.byVersion.get(2)}) during ${swaps} swaps, ${slot.swaps.drained} of which waited for in-flight requests`,
  );

  assert.deepEqual(counts.failed, [], 'no request may fail during swaps');
  assert.deepEqual(counts.inconsistent, [], 'every answer must come from the version its header names');
  assert.ok(swaps >= 6, `only ${swaps} swaps`);
  assert.ok(slot.swaps.drained > 0, 'no swap met an in-flight request: the test did not exercise draining');
  assert.ok(counts.ok > 100, `only ${counts.ok} requests answered`);
  assert.ok((counts.byVersion.get(1) ?? 0) > 0 && (counts.byVersion.get(2) ?? 0) > 0, 'both versions served');
  assert.deepEqual(
    served.map(isDisposed),
    served.map((_, i) => i < served.length - 1),
    'every replaced version is disposed, the serving one is not',
  );
  assert.equal(tf.memory().numTensors, baseline, 'tensor count is back to its level before the swaps');
  await slot.close();
});
