import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import type { MqttConfig } from '../src/config/types';
import { openStore, type Store } from '../src/store';
import { Backoff } from '../src/mqtt/backoff';
import { brokerTarget, describeBroker, mqttClientOptions } from '../src/mqtt/client-options';
import { startEmbeddedBroker } from '../src/mqtt/embedded-broker';
import { MqttLink, type MessageProps } from '../src/mqtt/link';
import { OutboxSender } from '../src/mqtt/outbox-sender';
import {
  brokerAvailable,
  makeTestCerts,
  MOSQUITTO_MISSING,
  startAedesBroker,
  startMosquitto,
  type MosquittoBroker,
  type TestBroker,
} from './helpers/brokers';
import { tempHome } from './helpers/store-fixtures';

type Hook = { after(fn: () => void | Promise<void>): void };

const BASE: MqttConfig = {
  url: null,
  embeddedPort: 0,
  protocolVersion: 5,
  maxPayloadBytes: 65536,
  telemetrySeconds: 0,
  retainedJobs: 20,
  keepaliveSeconds: 10,
  reconnectMinMs: 50,
  reconnectMaxMs: 400,
};

interface LogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
  fields?: Record<string, unknown>;
}

function captureLog() {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (msg: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, msg, fields });
  return { log: { info: at('info'), warn: at('warn'), error: at('error') }, lines, text: () => JSON.stringify(lines) };
}

async function waitFor(what: string, pred: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function nextEvent<T extends unknown[]>(link: MqttLink, event: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    link.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

interface Received {
  topic: string;
  payload: string;
  correlationData?: Buffer;
}

/** A third-party client that records what it receives on `topics`. */
async function observer(t: Hook, url: string, topics: string[], protocolVersion: 4 | 5 = 4) {
  const client = mqtt.connect(url, {
    protocolVersion,
    reconnectPeriod: 0,
    clientId: `observer-${Math.random().toString(16).slice(2, 10)}`,
  });
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) =>
    messages.push({ topic, payload: payload.toString(), correlationData: packet.properties?.correlationData }),
  );
  client.on('error', () => {});
  t.after(() => void client.end(true));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  if (topics.length > 0)
    await client.subscribeAsync(Object.fromEntries(topics.map((topic) => [topic, { qos: 1 as const }])));
  return { client, messages };
}

interface LinkSetup {
  url: string;
  clientId?: string;
  subscriptions?: string[];
  cfg?: Partial<MqttConfig>;
}

function makeLink(t: Hook, setup: LinkSetup) {
  const captured = captureLog();
  const clientId = setup.clientId ?? `dev-${Math.random().toString(16).slice(2, 10)}`;
  let session = 0;
  const link = new MqttLink({
    url: setup.url,
    cfg: { ...BASE, ...setup.cfg },
    clientId,
    subscriptions: () => setup.subscriptions ?? [],
    will: (s) => ({
      topic: `deepend/v1/test/${clientId}/state`,
      payload: JSON.stringify({ state: 'lost', session: s }),
      qos: 1,
      retain: true,
    }),
    nextSession: () => ++session,
    log: captured.log,
  });
  t.after(() => link.stop());
  return { link, clientId, ...captured, stateTopic: `deepend/v1/test/${clientId}/state` };
}

/** Cuts the link's TCP connection without a DISCONNECT, as a crash or a pulled cable would. */
function cutConnection(link: MqttLink): void {
  (link as unknown as { client: MqttClient }).client.stream.destroy();
}

const BROKERS: { kind: 'mosquitto' | 'aedes'; start: (t: Hook) => Promise<TestBroker> }[] = [
  { kind: 'mosquitto', start: (t) => startMosquitto(t) },
  { kind: 'aedes', start: (t) => startAedesBroker(t) },
];

for (const { kind, start } of BROKERS) {
  const skip = brokerAvailable(kind) ? false : MOSQUITTO_MISSING;

  describe(`MqttLink against ${kind}`, { skip }, () => {
    test('connects, subscribes, receives; MQTT 5 properties or the 3.1.1 fallback', async (t) => {
      const broker = await start(t);
      const cmd = 'deepend/v1/test/d1/cmd/+';
      const { link, lines } = makeLink(t, { url: broker.url, clientId: 'd1', subscriptions: [cmd] });
      const connected = nextEvent<[number]>(link, 'connected');
      link.start();
      // Every attempt takes a session number, the one refused for MQTT 5 too.
      assert.deepEqual(await connected, [kind === 'aedes' ? 2 : 1]);
      assert.equal(link.connected, true);
      assert.equal(link.session, kind === 'aedes' ? 2 : 1);
      assert.equal(link.protocolVersion, kind === 'mosquitto' ? 5 : 4);
      const fallbacks = lines.filter((l) => /refuses MQTT 5/.test(l.msg));
      assert.equal(fallbacks.length, kind === 'aedes' ? 1 : 0, JSON.stringify(lines));

      const received: [string, string, MessageProps][] = [];
      link.on('message', (topic: string, payload: Buffer, props: MessageProps) =>
        received.push([topic, payload.toString(), props]),
      );
      const fleet = await observer(t, broker.url, ['deepend/v1/test/d1/cmd/reply'], kind === 'mosquitto' ? 5 : 4);
      const properties =
        kind === 'mosquitto' ? { responseTopic: 'fleet/answers/7', correlationData: Buffer.from('corr-7') } : undefined;
      await fleet.client.publishAsync('deepend/v1/test/d1/cmd/deepen', '{"commandId":"c1"}', { qos: 1, properties });
      await waitFor('the command', () => received.length === 1);
      const [topic, payload, props] = received[0];
      assert.equal(topic, 'deepend/v1/test/d1/cmd/deepen');
      assert.equal(payload, '{"commandId":"c1"}');
      if (kind === 'mosquitto') {
        assert.equal(props.responseTopic, 'fleet/answers/7');
        assert.equal(props.correlationData?.toString(), 'corr-7');
      } else {
        assert.deepEqual(props, {});
      }

      await link.publish('deepend/v1/test/d1/cmd/reply', '{"ok":true}', {
        qos: 1,
        properties: { correlationData: Buffer.from('corr-7') },
      });
      await waitFor('the reply', () => fleet.messages.length === 1);
      assert.equal(fleet.messages[0].payload, '{"ok":true}');
      assert.equal(fleet.messages[0].correlationData?.toString(), kind === 'mosquitto' ? 'corr-7' : undefined);
      await link.publish('deepend/v1/test/d1/telemetry', '{}', { qos: 0 });
    });

    test('the will carries the session number on an abrupt loss and is not sent after stop()', async (t) => {
      const broker = await start(t);
      const { link, stateTopic } = makeLink(t, { url: broker.url });
      const watcher = await observer(t, broker.url, [stateTopic]);
      link.start();
      const [first] = await nextEvent<[number]>(link, 'connected');
      await link.publish(stateTopic, JSON.stringify({ state: 'ready', session: first }), { qos: 1, retain: true });

      const back = nextEvent<[number]>(link, 'connected');
      const lost = nextEvent<[string]>(link, 'disconnected');
      cutConnection(link);
      assert.equal(typeof (await lost)[0], 'string');
      assert.deepEqual(await back, [first + 1], 'reconnects as the next session');
      await waitFor('the will', () => watcher.messages.some((m) => m.payload.includes('"lost"')));
      assert.deepEqual(JSON.parse(watcher.messages.find((m) => m.payload.includes('"lost"'))!.payload), {
        state: 'lost',
        session: first,
      });

      await link.stop({
        topic: stateTopic,
        payload: JSON.stringify({ state: 'offline', session: first + 1 }),
        qos: 1,
        retain: true,
      });
      await link.stop(); // idempotent
      assert.equal(link.connected, false);
      await waitFor('the offline state', () => watcher.messages.some((m) => m.payload.includes('"offline"')));
      await new Promise((r) => setTimeout(r, 300));
      const states = watcher.messages.map((m) => JSON.parse(m.payload) as { state: string; session: number });
      assert.deepEqual(
        states.map((s) => `${s.state}:${s.session}`),
        [`ready:${first}`, `lost:${first}`, `offline:${first + 1}`],
      );
      await assert.rejects(link.publish(stateTopic, '{}', { qos: 1 }), /not connected/);
    });

    test('reconnects with backoff after a broker restart and is subscribed again without being asked', async (t) => {
      const broker = await start(t);
      const topic = 'deepend/v1/test/d3/desired';
      const { link, lines } = makeLink(t, { url: broker.url, clientId: 'd3', subscriptions: [topic] });
      const received: string[] = [];
      link.on('message', (_topic: string, payload: Buffer) => received.push(payload.toString()));
      link.start();
      await nextEvent(link, 'connected');

      const lost = nextEvent(link, 'disconnected');
      await broker.stop();
      await lost;
      await new Promise((r) => setTimeout(r, 600)); // several failed attempts at the maximum backoff
      const back = nextEvent<[number]>(link, 'connected');
      await broker.start();
      const [session] = await back;
      assert.ok(session >= 3, `a new session per attempt (got ${session})`);

      const fleet = await observer(t, broker.url, []);
      await fleet.client.publishAsync(topic, 'after-restart', { qos: 1 });
      await waitFor('the message after the restart', () => received.includes('after-restart'));
      assert.equal(lines.filter((l) => l.msg === 'lost the MQTT broker').length, 1);
      const failures = lines.filter((l) => /cannot connect/.test(l.msg));
      assert.ok(failures.length <= 1, `one line for repeated failures, got ${JSON.stringify(failures)}`);
      assert.equal(
        lines.filter((l) => /refuses MQTT 5/.test(l.msg)).length,
        kind === 'aedes' ? 1 : 0,
        'the fallback is for the life of the link',
      );
    });

    test('the outbox sender delivers every row in order across broker outages and a store reopen', async (t) => {
      const broker = await start(t);
      const home = tempHome(t, 'deepend-outbox-');
      const topic = 'deepend/v1/test/d4/jobs/j1';
      const enqueue = (s: Store, from: number, to: number) => {
        for (let seq = from; seq < to; seq++) s.enqueueOutbox(topic, { seq }, { qos: 1, retain: false });
      };
      let store: Store = openStore(home);
      t.after(() => store.close());
      enqueue(store, 0, 100);

      // The sender is kicked once the test's subscriber is back, so the broker has someone to deliver to.
      let subscriberReady: Promise<void> = Promise.resolve();
      let openGate = () => {};
      const closeGate = () => (subscriberReady = new Promise<void>((resolve) => (openGate = resolve)));
      const wire = (s: Store) => {
        const made = makeLink(t, { url: broker.url, clientId: 'd4' });
        const sender = new OutboxSender({ store: s, link: made.link, log: made.log });
        made.link.on('connected', () => void subscriberReady.then(() => sender.kick()));
        made.link.start();
        return { ...made, sender };
      };
      const received: Received[][] = [];
      const subscribe = async () => received.push((await observer(t, broker.url, [topic])).messages);
      const seen = (seq: number) => () => received.at(-1)!.some((m) => m.payload === `{"seq":${seq}}`);

      await subscribe();
      let device = wire(store);
      await waitFor('part of the outbox', () => received[0].length >= 30);
      closeGate();
      await broker.stop();
      enqueue(store, 100, 150);
      device.sender.kick(); // as the agent does after an enqueue: nothing to do while disconnected
      assert.ok(device.sender.pending() > 50, 'rows left when the broker went away');
      await broker.start();
      await subscribe();
      openGate();
      await waitFor('row 149 after the outage', seen(149), 60_000);
      await waitFor('rows 0-149 marked sent', () => device.sender.pending() === 0);

      // The broker goes away again and the daemon restarts meanwhile: its rows wait in the reopened store.
      closeGate();
      await broker.stop();
      enqueue(store, 150, 200);
      await device.sender.stop();
      await device.link.stop();
      store.close();
      store = openStore(home);
      assert.equal(store.pendingOutbox(1000).length, 50, 'pending rows survive closing the store');
      device = wire(store);
      await broker.start();
      await subscribe();
      openGate();
      await waitFor('row 199 after the restart', seen(199), 60_000);
      await waitFor('every row marked sent', () => device.sender.pending() === 0);
      await device.sender.stop();

      const seqs = received.flat().map((m) => (JSON.parse(m.payload) as { seq: number }).seq);
      const distinct = seqs.filter((s, i) => i === 0 || s !== seqs[i - 1]);
      assert.deepEqual(
        distinct,
        Array.from({ length: 200 }, (_, i) => i),
        'every row, in order',
      );
      assert.ok(
        seqs.length - distinct.length <= 1,
        `only the row in flight at the first outage may come twice (got ${seqs.length - distinct.length} duplicates)`,
      );
      t.diagnostic(
        `rows per connection: ${received.map((r) => r.length).join(', ')}; sent twice: ${seqs.length - distinct.length}`,
      );
    });
  });
}

describe('MqttLink against mosquitto with credentials and TLS', {
  skip: brokerAvailable('mosquitto') ? false : MOSQUITTO_MISSING,
}, () => {
  test('a username and password are accepted; a wrong password is one log line without the password', async (t) => {
    const broker = await startMosquitto(t, { users: [{ username: 'dev', password: 's3cret-pw' }] });
    const good = makeLink(t, { url: broker.url, cfg: { username: 'dev', password: 's3cret-pw' } });
    good.link.start();
    await nextEvent(good.link, 'connected');

    const inUrl = makeLink(t, { url: broker.url.replace('mqtt://', 'mqtt://dev:s3cret-pw@') });
    inUrl.link.start();
    await nextEvent(inUrl.link, 'connected');
    assert.ok(!inUrl.text().includes('s3cret-pw'), inUrl.text());

    const bad = makeLink(t, { url: broker.url, cfg: { username: 'dev', password: 'wrong-pw-x9' } });
    bad.link.start();
    await new Promise((r) => setTimeout(r, 1000)); // several refused attempts
    const refusals = bad.lines.filter((l) => /cannot connect/.test(l.msg));
    assert.equal(refusals.length, 1, bad.text());
    assert.equal(refusals[0].level, 'error');
    assert.match(String(refusals[0].fields?.reason), /Not authorized|Bad user name or password/i);
    assert.ok(!bad.text().includes('wrong-pw-x9'), bad.text());
    assert.equal(bad.link.connected, false);
  });

  test('mqtts with a client certificate connects; without one it is refused in one line', async (t) => {
    const certs = makeTestCerts(t);
    const broker = await startMosquitto(t, { tls: { ca: certs.ca, cert: certs.cert, key: certs.key } });
    assert.match(broker.url, /^mqtts:/);
    const withCert = makeLink(t, {
      url: broker.url,
      cfg: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
    });
    withCert.link.start();
    await nextEvent(withCert.link, 'connected');
    assert.equal(withCert.link.protocolVersion, 5);

    const noCert = makeLink(t, { url: broker.url, cfg: { ca: certs.ca } });
    noCert.link.start();
    await new Promise((r) => setTimeout(r, 800));
    const failures = noCert.lines.filter((l) => /cannot connect/.test(l.msg));
    assert.equal(failures.length, 1, noCert.text());
    assert.match(String(failures[0].fields?.reason), /^TLS: /);
    assert.ok(!String(failures[0].fields?.reason).includes('\n'));
  });
});

describe('OutboxSender on a real MqttLink and broker', () => {
  const noMosquitto = brokerAvailable('mosquitto') ? false : MOSQUITTO_MISSING;
  const OUT = 'deepend/v1/test/out';
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const seqOf = (payload: string | Buffer) => (JSON.parse(payload.toString()) as { seq: number }).seq;

  /** A store of its own, a connected link and a sender whose log lines are kept apart from the link's. */
  async function device(t: Hook, broker: TestBroker) {
    const store = openStore(tempHome(t, 'deepend-sender-'));
    const made = makeLink(t, { url: broker.url });
    const senderLog = captureLog();
    const sender = new OutboxSender({ store, link: made.link, log: senderLog.log });
    // The link goes down first: a loop still running ends on its own (not sender.stop(), which spins for ever on a loop that never ends, the empty-kick bug).
    t.after(async () => {
      await made.link.stop();
      await new Promise((r) => setImmediate(r));
      store.close();
    });
    made.link.start();
    await nextEvent(made.link, 'connected');
    const enqueue = (
      from: number,
      to: number,
      topic = (seq: number) => `${OUT}/${seq}`,
      opts = (_seq: number): { qos: 0 | 1; retain: boolean } => ({ qos: 1, retain: false }),
    ) => {
      for (let seq = from; seq < to; seq++) store.enqueueOutbox(topic(seq), { seq }, opts(seq));
    };
    const pendingSeqs = () => store.pendingOutbox(10_000).map((r) => (r.payload as { seq: number }).seq);
    return { store, sender, link: made.link, clientId: made.clientId, lines: senderLog.lines, enqueue, pendingSeqs };
  }

  /** What mosquitto's log says the device published: one entry per PUBLISH it received. */
  function publishesFrom(broker: MosquittoBroker, clientId: string) {
    const re = new RegExp(`Received PUBLISH from ${clientId} \\(d\\d, q(\\d), r(\\d), m\\d+, '([^']*)'`, 'g');
    return [...broker.log().matchAll(re)].map((m) => ({ qos: Number(m[1]), retain: m[2] === '1', topic: m[3] }));
  }

  test('one message in flight, in id order: each row reaches a subscriber only after every earlier row was marked sent', {
    skip: noMosquitto,
  }, async (t) => {
    const broker = await startMosquitto(t);
    const d = await device(t, broker);
    const sub = await observer(t, broker.url, [`${OUT}/#`]);
    const early: string[] = [];
    sub.client.on('message', (_topic, payload) => {
      const seq = seqOf(payload);
      const before = d.pendingSeqs().filter((s) => s < seq);
      if (before.length > 0) early.push(`row ${seq} arrived while ${before.join(',')} were unsent`);
    });
    const N = 200;
    d.enqueue(0, N, undefined, (seq) => ({ qos: seq % 10 === 9 ? 0 : 1, retain: seq === 0 }));
    d.sender.kick();
    d.sender.kick(); // a second kick joins the running loop
    await waitFor('every row at the subscriber', () => sub.messages.length >= N);
    await waitFor('every row marked sent', () => d.sender.pending() === 0);
    await sleep(50);
    assert.deepEqual(
      sub.messages.map((m) => seqOf(m.payload)),
      Array.from({ length: N }, (_, i) => i),
      'every row once, in order',
    );
    assert.deepEqual(early, []);
    const published = publishesFrom(broker, d.clientId);
    assert.equal(published.length, N, broker.log());
    assert.deepEqual(
      published.slice(0, 10),
      Array.from({ length: 10 }, (_, seq) => ({ topic: `${OUT}/${seq}`, qos: seq === 9 ? 0 : 1, retain: seq === 0 })),
      'qos and retain as enqueued',
    );
    assert.deepEqual(d.lines, []);
  });

  test('a row the broker refuses (MQTT 5 PUBACK 0x87) is dropped in one error line and later rows still go', {
    skip: noMosquitto,
  }, async (t) => {
    // Anonymous clients may write their state (the will) and out/ok/#, and read everything under deepend/v1/test.
    const acl = [
      'topic readwrite deepend/v1/test/+/state',
      `topic readwrite ${OUT}/ok/#`,
      'topic read deepend/v1/test/#',
    ].join('\n');
    const broker = await startMosquitto(t, { acl });
    const d = await device(t, broker);
    assert.equal(d.link.protocolVersion, 5);
    const sub = await observer(t, broker.url, [`${OUT}/#`]);
    d.enqueue(0, 4, (seq) => `${OUT}/${seq === 1 ? 'denied' : 'ok'}/${seq}`);
    d.sender.kick();
    await waitFor('rows 0, 2 and 3 at the subscriber', () => sub.messages.length >= 3);
    await waitFor('every row done with', () => d.sender.pending() === 0);
    assert.deepEqual(
      sub.messages.map((m) => seqOf(m.payload)),
      [0, 2, 3],
    );
    assert.deepEqual(
      d.lines.map((l) => [l.level, l.msg, l.fields?.topic, l.fields?.reason]),
      [['error', 'the MQTT broker refused an outbox message; dropped', `${OUT}/denied/1`, 'Not authorized']],
    );
    assert.equal(d.link.connected, true, 'a refusal does not cost the connection');
    assert.match(broker.log(), /Denied PUBLISH from/);
  });

  test('a lost link stops the loop quietly with rows left pending; they go after the broker is back', {
    skip: noMosquitto,
  }, async (t) => {
    const broker = await startMosquitto(t);
    const d = await device(t, broker);
    const first = await observer(t, broker.url, [`${OUT}/#`]);
    const N = 1000;
    d.enqueue(0, N);
    d.sender.kick();
    await waitFor('part of the outbox', () => first.messages.length >= 50);
    const lost = nextEvent(d.link, 'disconnected');
    await broker.stop();
    await lost;
    const left = d.sender.pending();
    assert.ok(left > 0 && left < N, `rows left pending (${left})`);
    d.sender.kick(); // disconnected: nothing to do
    await sleep(100);
    assert.equal(d.sender.pending(), left);
    assert.deepEqual(d.lines, [], "the loss is the link's to log, not the sender's");

    const back = nextEvent(d.link, 'connected');
    await broker.start();
    await back;
    const second = await observer(t, broker.url, [`${OUT}/#`]);
    d.sender.kick(); // as the agent does on 'connected'
    await waitFor('the last row after the restart', () => second.messages.some((m) => seqOf(m.payload) === N - 1));
    await waitFor('every row marked sent', () => d.sender.pending() === 0);
    const seqs = [...first.messages, ...second.messages].map((m) => seqOf(m.payload));
    const distinct = seqs.filter((s, i) => i === 0 || s !== seqs[i - 1]);
    assert.deepEqual(
      distinct,
      Array.from({ length: N }, (_, i) => i),
      'every row, in order',
    );
    assert.ok(
      seqs.length - distinct.length <= 1,
      `only the row in flight at the loss may come twice (got ${seqs.length - distinct.length})`,
    );
    assert.equal(second.messages.length >= left, true, 'the pending rows came after the restart');
    assert.deepEqual(d.lines, []);
  });

  test('stop() waits for the publish in flight, and only one is in flight (the broker frozen with SIGSTOP)', {
    skip: noMosquitto,
  }, async (t) => {
    const broker = await startMosquitto(t);
    const d = await device(t, broker);
    const sub = await observer(t, broker.url, [`${OUT}/#`]);
    const pid = broker.pid();
    assert.ok(pid);
    let stopped = false;
    let stopping: Promise<unknown> = Promise.resolve();
    process.kill(pid, 'SIGSTOP');
    try {
      d.enqueue(0, 3);
      d.sender.kick();
      await sleep(100); // row 0 is written; a sender that did not wait for its PUBACK would write rows 1 and 2 too
      stopping = d.sender.stop().then(() => (stopped = true));
      await sleep(150);
      assert.equal(stopped, false, 'stop() waits for the publish in flight');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await stopping;
    assert.deepEqual(d.pendingSeqs(), [1, 2], 'the row in flight was acknowledged and marked sent; the rest wait');
    await waitFor('row 0 at the subscriber', () => sub.messages.length >= 1);
    await sleep(100);
    assert.deepEqual(
      sub.messages.map((m) => seqOf(m.payload)),
      [0],
    );
    assert.equal(publishesFrom(broker, d.clientId).length, 1, 'the broker got one PUBLISH from the device');
    d.sender.kick();
    await sleep(50);
    assert.deepEqual(d.pendingSeqs(), [1, 2], 'a stopped sender ignores kicks');
  });

  test('a kick on an empty outbox, then enqueues and kicks: the rows are delivered', async (t) => {
    const broker = await startAedesBroker(t);
    const d = await device(t, broker);
    const sub = await observer(t, broker.url, [`${OUT}/#`]);
    d.sender.kick(); // nothing to send: that loop ends, and must not keep the sender "running"
    await new Promise((r) => setImmediate(r));
    d.enqueue(0, 3);
    d.sender.kick();
    await waitFor('the rows at the subscriber', () => sub.messages.length >= 3, 5000);
    await waitFor('every row marked sent', () => d.sender.pending() === 0);
    assert.deepEqual(
      sub.messages.map((m) => seqOf(m.payload)),
      [0, 1, 2],
    );
  });
});

describe('MQTT client options and helpers', () => {
  test('a missing or unreadable PEM file is one line naming the key and the file', () => {
    assert.throws(() => mqttClientOptions({ ...BASE, ca: '/nonexistent/ca.pem' }, 'd'), {
      message: 'mqtt.ca: cannot read /nonexistent/ca.pem: no such file',
    });
    assert.throws(
      () =>
        new MqttLink({
          url: 'mqtts://127.0.0.1:1',
          cfg: { ...BASE, ca: '/nonexistent/ca.pem' },
          clientId: 'd',
          subscriptions: () => [],
          will: () => ({ topic: 't', payload: '', qos: 1, retain: true }),
          nextSession: () => 1,
          log: captureLog().log,
        }),
      { code: 'config', message: 'mqtt.ca: cannot read /nonexistent/ca.pem: no such file' },
    );
    assert.throws(() => mqttClientOptions({ ...BASE, cert: '/x/cert.pem' }, 'd'), /mqtt\.key: missing/);
    const home = tempHome({ after: () => {} }, 'deepend-pem-');
    assert.throws(() => mqttClientOptions({ ...BASE, ca: home }, 'd'), {
      message: `mqtt.ca: cannot read ${home}: is a directory`,
    });
  });

  test('options: clientId, clean session, keepalive, credentials, no mqtt.js reconnects', () => {
    const o = mqttClientOptions({ ...BASE, username: 'u', password: 'p', keepaliveSeconds: 17 }, 'dev-1', 4);
    assert.equal(o.clientId, 'dev-1');
    assert.equal(o.clean, true);
    assert.equal(o.keepalive, 17);
    assert.equal(o.protocolVersion, 4);
    assert.equal(o.reconnectPeriod, 0);
    assert.equal(o.username, 'u');
    assert.equal(o.password, 'p');
    assert.equal(mqttClientOptions(BASE, 'x').protocolVersion, 5);
  });

  test('describeBroker drops user:password; the config wins over credentials in the url', () => {
    assert.equal(describeBroker('mqtts://dev:p%40ss@broker.example:8883/x'), 'mqtts://broker.example:8883/x');
    assert.equal(describeBroker('mqtt://u:p@ss@h:1883'), 'mqtt://h:1883');
    assert.equal(describeBroker('mqtt://h:1883'), 'mqtt://h:1883');
    assert.deepEqual(brokerTarget('mqtt://dev:p%40ss@h:1883', {}), {
      url: 'mqtt://h:1883',
      username: 'dev',
      password: 'p@ss',
    });
    assert.deepEqual(brokerTarget('mqtt://dev:x@h:1883', { username: 'cfg', password: 'y' }), {
      url: 'mqtt://h:1883',
      username: 'cfg',
      password: 'y',
    });
  });

  test('backoff doubles from min to max with jitter and resets', () => {
    const low = new Backoff(100, 1000, () => 0);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map(() => low.next()),
      [100, 100, 200, 400, 500, 500],
    );
    const high = new Backoff(100, 1000, () => 0.999999);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => high.next()),
      [100, 200, 400, 800, 1000],
    );
    high.reset();
    assert.equal(high.next(), 100);
  });

  test('the embedded broker: a free port, and a clear error when the port is taken', async (t) => {
    const broker = await startEmbeddedBroker({ port: 0 });
    t.after(() => broker.close());
    assert.match(broker.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(broker.port > 0);
    await assert.rejects(startEmbeddedBroker({ port: broker.port }), (err: Error) => {
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${broker.port} is already in use`));
      assert.match(err.message, /mqtt\.embeddedPort/);
      assert.match(err.message, /DEEPEND_MQTT_EMBEDDED_PORT/);
      assert.match(err.message, /mqtt\.url/);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
    await broker.close();
    await broker.close();
  });
});
