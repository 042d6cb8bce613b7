import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { openStore } from '../src/store';
import type { Store } from '../src/store/types';
import { deviceTopics } from '../src/contract/topics';
import { CLEARED_THROUGH_SETTING, clearOldJobReports } from '../src/daemon/fleet/job-report-retention';
import { tempHome } from './helpers/store-fixtures';
import { startAedesBroker } from './helpers/brokers';
import { DaemonProcess, testHome } from './helpers/daemon';
import { FleetObserver } from './helpers/fleet-observer';

/** A job that the policy turned down: the quickest way to an ended job in a real store. */
function endedJob(store: Store): string {
  const job = store.createJob({ kind: 'upgrade', trigger: 'manual', request: { toDepth: 3 } });
  store.transition(job.id, 'planning');
  store.transition(job.id, 'rejected', { reason: 'nothing to do' });
  return job.id;
}

function clearedBy(store: Store, keep: number, recent?: number): string[] {
  const cleared: string[] = [];
  const returned = clearOldJobReports(store, keep, (id) => cleared.push(id), recent);
  assert.deepEqual(returned, cleared);
  return cleared;
}

test('clearOldJobReports: the newest `keep` jobs keep their reports; each older ended job is cleared once, oldest first', (t) => {
  const store = openStore(tempHome(t));
  t.after(() => store.close());
  const ids = Array.from({ length: 6 }, () => endedJob(store));
  assert.deepEqual(clearedBy(store, 2), ids.slice(0, 4));
  assert.equal(store.getSetting(CLEARED_THROUGH_SETTING), ids[3]);
  assert.deepEqual(clearedBy(store, 2), [], 'a second pass clears nothing');
  ids.push(endedJob(store));
  assert.deepEqual(clearedBy(store, 2), [ids[4]], 'one more job: the one that left the kept two');

  // a job older than the kept ones that has not ended keeps its report, and is looked at again until it ends
  const running = store.createJob({ kind: 'upgrade', trigger: 'manual', request: { toDepth: 3 } });
  store.transition(running.id, 'planning');
  const after = [endedJob(store), endedJob(store), endedJob(store)];
  assert.deepEqual(clearedBy(store, 2), [ids[5], ids[6], after[0]]);
  assert.equal(store.getSetting(CLEARED_THROUGH_SETTING), ids[6], 'the marker stops before the unfinished job');
  store.transition(running.id, 'canceled', { reason: 'test' });
  assert.deepEqual(clearedBy(store, 2), [running.id, after[0]]);
  assert.equal(store.getSetting(CLEARED_THROUGH_SETTING), after[0]);
  assert.deepEqual(clearedBy(store, 2), []);
});

test('clearOldJobReports: a history longer than one pass reads is cleared whole, on the first pass and after a gap', (t) => {
  const store = openStore(tempHome(t));
  t.after(() => store.close());
  const ids = Array.from({ length: 9 }, () => endedJob(store));
  // reading 3 jobs past the kept 2 finds no marker: the pass reads them all
  assert.deepEqual(clearedBy(store, 2, 3), ids.slice(0, 7));
  const more = Array.from({ length: 6 }, () => endedJob(store));
  // the marker (ids[6]) lies 8 jobs back, past the 3 read first
  assert.deepEqual(clearedBy(store, 2, 3), [...ids.slice(7), ...more.slice(0, 4)]);
  assert.deepEqual(clearedBy(store, 2, 3), []);
});

/**
 * The retained messages the broker holds under `filter`, which a new client receives on subscribing: waits for
 * `expected` of them (10 s at most), then half a second more for any beyond.
 */
async function retainedOn(url: string, filter: string, expected: number): Promise<string[]> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  const topics: string[] = [];
  client.on('message', (topic, payload, packet) => {
    if (packet.retain && payload.length > 0) topics.push(topic);
  });
  await client.subscribeAsync(filter, { qos: 1 });
  for (const deadline = Date.now() + 10_000; topics.length < expected && Date.now() < deadline; )
    await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 500));
  await client.endAsync(true);
  return topics.sort();
}

test('a daemon clears the retained reports of jobs older than its last mqtt.retainedJobs from the broker, once', {
  timeout: 120_000,
}, async (t) => {
  const broker = await startAedesBroker(t);
  const h = testHome(t);
  // a history from before: five ended jobs, each with the retained report it left on the broker
  const store = openStore(h.home);
  const ids = Array.from({ length: 5 }, () => endedJob(store));
  store.close();
  const topics = deviceTopics('default', 'test-device');
  const observer = await FleetObserver.connect(broker.url);
  t.after(() => observer.close());
  for (const id of ids) await observer.publish(topics.job(id), { stale: true }, { retain: true });
  assert.equal((await retainedOn(broker.url, topics.jobs, 5)).length, 5);

  const env = { ...h.env, DEEPEND_MQTT_URL: broker.url, DEEPEND_MQTT_RETAINED_JOBS: '2' };
  let daemon = new DaemonProcess([], env);
  t.after(() => daemon.kill());
  await daemon.running();
  for (const id of ids.slice(0, 3))
    await observer.waitFor((m) => m.topic === topics.job(id) && m.raw.length === 0, 30_000, `the clear of ${id}`);
  assert.deepEqual(await retainedOn(broker.url, topics.jobs, 2), ids.slice(3).map(topics.job).sort());

  // a restart clears nothing again: the store remembers how far it got
  assert.equal((await daemon.stop()).code, 0);
  daemon = new DaemonProcess([], env);
  await daemon.running();
  assert.equal((await daemon.stop()).code, 0);
  const db = new Database(join(h.home, 'deepend.db'), { readonly: true });
  t.after(() => db.close());
  const clears = db.prepare(`SELECT topic FROM outbox WHERE payload = 'null'`).all() as { topic: string }[];
  assert.deepEqual(clears.map((r) => r.topic).sort(), ids.slice(0, 3).map(topics.job).sort());
});
