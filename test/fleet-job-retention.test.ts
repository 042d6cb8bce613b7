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

function clearedBy(store: Store, keep: number): string[] {
  const cleared: string[] = [];
  const returned = clearOldJobReports(store, keep, (id) => cleared.push(id));
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

/** The retained messages the broker holds under `filter`: a new client receives them at once on subscribing. */
async function retainedOn(url: string, filter: string): Promise<string[]> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  const topics: string[] = [];
  client.on('message', (topic, payload, packet) => {
    if (packet.retain && payload.length > 0) topics.push(topic);
  });
  await client.subscribeAsync(filter, { qos: 1 });
  // the broker sends retained messages right after SUBACK; a round trip of our own marks their end
  await client.publishAsync('deepend-test/fence', 'x', { qos: 1 });
  await new Promise((r) => setTimeout(r, 200));
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
  assert.equal((await retainedOn(broker.url, topics.jobs)).length, 5);

  const env = { ...h.env, DEEPEND_MQTT_URL: broker.url, DEEPEND_MQTT_RETAINED_JOBS: '2' };
  let daemon = new DaemonProcess([], env);
  t.after(() => daemon.kill());
  await daemon.running();
  for (const id of ids.slice(0, 3))
    await observer.waitFor((m) => m.topic === topics.job(id) && m.raw.length === 0, 30_000, `the clear of ${id}`);
  assert.deepEqual(await retainedOn(broker.url, topics.jobs), ids.slice(3).map(topics.job).sort());

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
