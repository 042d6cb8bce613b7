import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlClient } from '../src/daemon/control-client';
import { deviceTopics } from '../src/contract/topics';
import {
  brokerAvailable,
  MOSQUITTO_MISSING,
  startAedesBroker,
  startMosquitto,
  type TestBroker,
} from './helpers/brokers';
import { DaemonProcess, TEST_POLICY, testHome, type TestHome } from './helpers/daemon';
import { fleetCli } from './helpers/fleet-cli';
import { FleetObserver, type Seen } from './helpers/fleet-observer';

// Real daemons against real brokers: mosquitto (Debian's package) and the
// embedded aedes broker, each started on a free port by the test.

const FLEET = 'test';
const DEVICE = 'test-device';
const topics = deviceTopics(FLEET, DEVICE);

function fleetEnv(h: TestHome, broker: TestBroker, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...h.env,
    DEEPEND_FLEET: FLEET,
    DEEPEND_MQTT_URL: broker.url,
    DEEPEND_MQTT_RECONNECT_MIN_MS: '300',
    DEEPEND_MQTT_RECONNECT_MAX_MS: '1000',
    DEEPEND_MQTT_TELEMETRY_SECONDS: '1',
    DEEPEND_MQTT_MAX_PAYLOAD_BYTES: '2048',
    ...extra,
  };
}

const BROKERS: {
  name: string;
  start: (t: { after(fn: () => void | Promise<void>): void }) => Promise<TestBroker>;
  skip: string | false;
  protocol: 4 | 5;
}[] = [
  {
    name: 'mosquitto',
    start: (t) => startMosquitto(t),
    skip: brokerAvailable('mosquitto') ? false : MOSQUITTO_MISSING,
    protocol: 5,
  },
  { name: 'embedded aedes', start: (t) => startAedesBroker(t), skip: false, protocol: 4 },
];

const isState = (state: string) => (m: Seen) => m.topic === topics.state && m.body?.state === state;
const replyTo = (commandId: string) => (m: Seen) => m.topic === topics.reply && m.body?.commandId === commandId;

/** Job statuses seen on jobs/JOBID, in arrival order, with consecutive repeats of one report (a redelivery) collapsed. */
function jobTrail(seen: Seen[], jobId: string): string[] {
  const trail = seen
    .filter((m) => m.topic === topics.job(jobId) && m.body)
    .map((m) => `${m.body!.status}/${m.body!.step}/${m.body!.percent}@${m.body!.ts}`);
  return trail.filter((x, i) => i === 0 || x !== trail[i - 1]);
}

for (const b of BROKERS) {
  test(`fleet over ${b.name}: birth and state, commands, a deepen job, duplicates, bad payloads, lost after a kill`, {
    skip: b.skip,
    timeout: 900_000,
  }, async (t) => {
    const broker = await b.start(t);
    const h = testHome(t, 'this-machine');
    // this machine's rule with a shadow run and a watch, short: no traffic comes, so both end on their minutes
    const small = TEST_POLICY.lastIndexOf('    automatic: true');
    writeFileSync(
      h.policy,
      `${TEST_POLICY.slice(0, small)}    shadow: { requests: 100, minutes: 0.05, maxDisagreement: 0.5 }\n    watch: { minutes: 0.1 }\n${TEST_POLICY.slice(small)}`,
    );
    assert.match(
      readFileSync(h.policy, 'utf8'),
      /name: small\n(.*\n)*.*watch: \{ minutes: 0\.1 \}\n.*automatic: true\n$/,
    );
    const observer = await FleetObserver.connect(broker.url, { protocolVersion: b.protocol });
    t.after(() => observer.close());
    let daemon = new DaemonProcess([], fleetEnv(h, broker));
    t.after(() => daemon.kill());
    await daemon.running();

    await t.test('a retained birth and state ready, with the session counter', async () => {
      const birth = await observer.waitFor((m) => m.topic === topics.birth && m.body !== null, 90_000, 'birth');
      // Reports enqueued before the connection carry the session they were made in; the connection's own state follows its birth.
      const ready = await observer.waitFor(
        (m) => isState('ready')(m) && m.body!.session === birth.body!.session,
        90_000,
        'state ready of the birth session',
      );
      assert.equal(birth.body!.device, DEVICE);
      assert.equal((birth.body!.model as { depth: number }).depth, 2);
      assert.equal((birth.body!.model as { version: number }).version, 1);
      assert.equal(typeof (birth.body!.hardware as { cpu: { cores: number } }).cpu.cores, 'number');
      assert.ok((ready.body!.session as number) >= 1);
      assert.equal(birth.body!.session, ready.body!.session);
      const late = await FleetObserver.connect(broker.url);
      t.after(() => late.close());
      const retained = await late.waitFor((m) => m.topic === topics.birth && m.retain, 30_000, 'the retained birth');
      assert.equal(retained.body!.device, DEVICE);
    });

    await t.test('telemetry arrives at QoS 0 with the backend and memory', async () => {
      const tm = await observer.waitFor((m) => m.topic === topics.telemetry && m.body !== null, 30_000, 'telemetry');
      assert.ok((tm.body!.memory as { rssBytes: number }).rssBytes > 0);
      assert.equal(typeof tm.body!.backend, 'string');
    });

    let jobId = '';
    await t.test('cmd/deepen: a reply with the job, progress, succeeded, and a birth with the new depth', async () => {
      const properties =
        b.protocol === 5 ? { responseTopic: 'fleet-test/replies', correlationData: Buffer.from('corr-1') } : undefined;
      if (properties) await observer.client.subscribeAsync('fleet-test/replies', { qos: 1 });
      await observer.publish(
        topics.command('deepen'),
        { commandId: 'deepen-1', toDepth: 3, method: 'identity' },
        { properties },
      );
      const reply = await observer.waitFor(replyTo('deepen-1'), 60_000, 'the reply to deepen-1');
      assert.equal(reply.body!.ok, true, String(reply.body!.error));
      jobId = String(reply.body!.jobId);
      if (properties) {
        const direct = await observer.waitFor((m) => m.topic === 'fleet-test/replies', 30_000, 'the MQTT 5 response');
        assert.equal((JSON.parse(direct.raw.toString('utf8')) as { commandId: string }).commandId, 'deepen-1');
        assert.equal(direct.correlationData?.toString(), 'corr-1');
      }
      await observer.waitFor(isState('upgrading'), 60_000, 'state upgrading');
      const done = await observer
        .waitFor((m) => m.topic === topics.job(jobId) && m.body?.status === 'succeeded', 450_000, 'the job succeeded')
        .catch((err: Error) => {
          throw new Error(
            `${err.message}; daemon: ${daemon.lines
              .filter((l) => l.msg.startsWith('job'))
              .map((l) => `${l.time.slice(11, 19)} ${l.msg} ${String(l.percent ?? '')}`)
              .join(', ')}`,
          );
        });
      assert.equal(done.body!.depthBefore, 2);
      assert.equal(done.body!.depthAfter, 3);
      assert.equal(done.body!.commandId, 'deepen-1');
      assert.equal(typeof done.body!.accuracyAfter, 'number');
      const running = observer.on(topics.job(jobId)).filter((m) => m.body?.status === 'running');
      const percents = running.map((m) => m.body!.percent as number);
      assert.ok(percents.length >= 3, `progress messages: ${percents.join(', ')}`);
      assert.deepEqual(
        percents,
        [...percents].sort((x, y) => x - y),
        'percent never goes back',
      );
      assert.ok(running.some((m) => m.body!.step === 'stage2'));
      // the learning curve's points (an epoch's end) and the gate's threshold (the test policy: minGain -0.01, minAccuracy 0)
      const measured = running.map((m) => m.body!.validationAccuracy).filter((v) => v !== undefined);
      assert.ok(measured.length >= 1, 'a validation accuracy during growth');
      for (const v of measured) assert.ok(typeof v === 'number' && v >= 0 && v <= 1, `validation accuracy ${v}`);
      const before = done.body!.accuracyBefore as number;
      assert.ok(
        Math.abs((done.body!.gateAccuracy as number) - Math.max(0, before - 0.01)) < 1e-9,
        'the gate threshold',
      );
      // the shadow step (no traffic: it ends on its minutes), then the watch's figures republished on the same topic
      assert.ok(running.some((m) => m.body!.step === 'shadow' && m.body!.percent === 93));
      const shadow = done.body!.shadow as { endedBy: string; requests: number; servedVersion: number };
      assert.deepEqual([shadow.endedBy, shadow.requests, shadow.servedVersion], ['minutes', 0, 1]);
      const watched = await observer.waitFor(
        (m) => m.topic === topics.job(jobId) && m.body?.watch !== undefined,
        60_000,
        'the job message with its watch',
      );
      const watch = watched.body!.watch as { verdict: string; version: number; fromVersion: number };
      assert.deepEqual([watch.verdict, watch.version, watch.fromVersion], ['passed', 2, 1]);
      assert.equal(watched.body!.status, 'succeeded');
      assert.deepEqual(watched.body!.shadow, done.body!.shadow);
      const birth = await observer.waitFor(
        (m) => m.topic === topics.birth && (m.body?.model as { depth?: number } | undefined)?.depth === 3,
        60_000,
        'a birth with depth 3',
      );
      assert.equal((birth.body!.model as { version: number }).version, 2);
      await observer.waitFor((m) => isState('ready')(m) && m.seq > done.seq, 60_000, 'state ready after the job');
    });

    await t.test('a duplicated command id is answered with the first result and runs once', async () => {
      await observer.publish(topics.command('deepen'), { commandId: 'deepen-1', toDepth: 3 });
      const again = await observer.waitFor(
        (m) => replyTo('deepen-1')(m) && m.body!.duplicate === true,
        60_000,
        'the duplicate reply',
      );
      assert.equal(again.body!.ok, true);
      assert.equal(again.body!.jobId, jobId);
      const { jobs } = await new ControlClient(h.home).ok<{ jobs: { commandId: string | null }[] }>('GET', '/jobs');
      assert.equal(jobs.filter((j) => j.commandId === 'deepen-1').length, 1);
    });

    await t.test(
      'cmd/cancel of a job that is not running is refused; cmd/rollback swaps back and a birth says so',
      async () => {
        await observer.publish(topics.command('cancel'), { commandId: 'cancel-1', jobId });
        const cancel = await observer.waitFor(replyTo('cancel-1'), 60_000, 'the cancel reply');
        assert.equal(cancel.body!.ok, false);
        assert.match(String(cancel.body!.error), /is not running/);
        assert.equal(cancel.body!.code, 'conflict');
        await observer.publish(topics.command('rollback'), { commandId: 'rollback-1' });
        const rollback = await observer.waitFor(replyTo('rollback-1'), 90_000, 'the rollback reply');
        assert.equal(rollback.body!.ok, true, String(rollback.body!.error));
        const job = await observer.waitFor(
          (m) => m.topic === topics.job(String(rollback.body!.jobId)) && m.body?.status === 'succeeded',
          60_000,
          'the rollback job',
        );
        assert.equal(job.body!.kind, 'rollback');
        assert.equal(job.body!.depthAfter, 2);
        await observer.waitFor(
          (m) =>
            m.topic === topics.birth &&
            m.seq >= job.seq &&
            (m.body?.model as { version?: number } | undefined)?.version === 1,
          60_000,
          'a birth back on v1',
        );
      },
    );

    await t.test(
      '`deepend fleet deepen` drives the daemon over MQTT and shows the job through to succeeded',
      async () => {
        const run = await fleetCli(t, broker.url, FLEET).run(
          ['deepen', DEVICE, '--to-depth', '3', '--method', 'identity', '--json'],
          { timeoutMs: 450_000 },
        );
        assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
        const out = JSON.parse(run.stdout) as { job: { status: string; depthAfter: number } };
        assert.equal(out.job.status, 'succeeded');
        assert.equal(out.job.depthAfter, 3);
        await observer.waitFor(
          (m) => m.topic === topics.birth && (m.body?.model as { version?: number } | undefined)?.version === 3,
          60_000,
          'a birth with v3',
        );
      },
    );

    await t.test(
      'malformed, wrong-schema, unknown, oversized and expired commands get an error reply; the daemon carries on',
      async () => {
        await observer.publish(topics.command('deepen'), '{"commandId": "bad-json", toDepth');
        const malformed = await observer.waitFor(
          (m) => m.topic === topics.reply && m.body?.ok === false && /malformed JSON/.test(String(m.body.error)),
          60_000,
          'the malformed reply',
        );
        assert.equal(malformed.body!.commandId, null);
        await observer.publish(topics.command('deepen'), { commandId: 'bad-schema', toDepth: 'three' });
        assert.match(String((await observer.waitFor(replyTo('bad-schema'), 60_000)).body!.error), /toDepth/);
        await observer.publish(`${topics.base}/cmd/explode`, { commandId: 'unknown-1' });
        const unknown = await observer.waitFor(replyTo('unknown-1'), 60_000);
        assert.match(String(unknown.body!.error), /unknown command 'explode'/);
        assert.equal(unknown.body!.code, 'not-found');
        await observer.publish(topics.command('rebirth'), { commandId: 'huge-1', pad: 'x'.repeat(4000) });
        const huge = await observer.waitFor(
          (m) => m.topic === topics.reply && /over the limit of 2048/.test(String(m.body?.error)),
          60_000,
          'the oversized reply',
        );
        assert.equal(huge.body!.ok, false);
        assert.equal(huge.body!.code, 'usage');
        await observer.publish(topics.command('deepen'), {
          commandId: 'expired-1',
          toDepth: 3,
          expiresAt: new Date(Date.now() - 60_000).toISOString(),
        });
        assert.match(String((await observer.waitFor(replyTo('expired-1'), 60_000)).body!.error), /expired/);
        if (b.protocol === 5) {
          // A response topic inside deepend/ would make the device write on its own topics: answered on cmd/reply only.
          await observer.publish(
            topics.command('rebirth'),
            { commandId: 'hijack-1' },
            { properties: { responseTopic: topics.state, correlationData: Buffer.from('x') } },
          );
          assert.equal((await observer.waitFor(replyTo('hijack-1'), 60_000)).body!.ok, true);
          await new Promise((r) => setTimeout(r, 300));
          assert.equal(
            observer.on(topics.state).filter((m) => m.problem !== undefined).length,
            0,
            'no reply written on the state topic',
          );
          assert.equal(
            observer.on(topics.birth).at(-1)!.contentType,
            'application/json',
            'MQTT 5 messages say they are JSON',
          );
        }
        await observer.publish(topics.command('rebirth'), { commandId: 'rebirth-1' });
        assert.equal((await observer.waitFor(replyTo('rebirth-1'), 60_000)).body!.ok, true);
        assert.ok(
          daemon.lines.some((l) => l.msg === 'fleet command refused' && l.commandId === 'bad-schema'),
          'a log line for the refused command',
        );
        assert.equal(
          observer.seen.filter(
            (m) => m.problem !== undefined && m.topic.startsWith(topics.base) && !m.topic.includes('/cmd/'),
          ).length,
          0,
          'everything the device sent keeps to the contract',
        );
      },
    );

    await t.test(
      'killed: the broker publishes the will, lost with the session; a restart is ready with a higher session',
      async () => {
        const before = observer.seen.filter(isState('ready')).at(-1)!.body!.session as number;
        daemon.kill();
        const lost = await observer.waitFor(isState('lost'), 90_000, 'state lost');
        assert.equal(lost.body!.session, before);
        daemon = new DaemonProcess([], fleetEnv(h, broker));
        await daemon.running();
        const ready = await observer
          .waitFor(
            (m) => isState('ready')(m) && (m.body!.session as number) > before,
            180_000,
            'ready after the restart',
          )
          .catch((err: Error) => {
            throw new Error(
              `${err.message}; daemon: ${daemon.lines
                .filter((l) => l.level !== 'debug')
                .slice(-12)
                .map((l) => `${l.msg} ${JSON.stringify(l).slice(0, 160)}`)
                .join(' | ')}`,
            );
          });
        assert.ok(ready.seq > lost.seq);
        const code = await daemon.stop('SIGTERM');
        assert.equal(code.code, 0);
        const offline = await observer.waitFor(isState('offline'), 30_000, 'state offline');
        const lastBirth = observer.seen
          .filter((m) => m.topic === topics.birth && m.body && m.seq < offline.seq)
          .at(-1)!;
        assert.equal(
          offline.body!.session,
          lastBirth.body!.session,
          'offline carries the session of the connection it ends',
        );
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(
          observer.seen.filter((m) => isState('lost')(m) && m.seq > offline.seq).length,
          0,
          'no will after a clean stop',
        );
      },
    );
  });

  test(`fleet over ${b.name}: the broker stops in the middle of a job; every report arrives, in order`, {
    skip: b.skip,
    timeout: 540_000,
  }, async (t) => {
    const broker = await b.start(t);
    const h = testHome(t, 'this-machine');
    let observer = await FleetObserver.connect(broker.url);
    const observers = [observer];
    t.after(() => Promise.all(observers.map((o) => o.close())));
    // A reconnect backoff of at least two seconds, so that the outbox holds reports while the broker is away.
    const daemon = new DaemonProcess(
      [],
      fleetEnv(h, broker, { DEEPEND_MQTT_RECONNECT_MIN_MS: '2000', DEEPEND_MQTT_RECONNECT_MAX_MS: '3000' }),
    );
    t.after(() => daemon.kill());
    await daemon.running();
    await observer.waitFor(isState('ready'), 90_000, 'ready');

    await observer.publish(topics.command('deepen'), { commandId: 'outage-1', toDepth: 3, method: 'identity' });
    const jobId = String((await observer.waitFor(replyTo('outage-1'), 60_000)).body!.jobId);
    await observer.waitFor(
      (m) => m.topic === topics.job(jobId) && m.body?.status === 'running' && /^stage/.test(String(m.body.step)),
      180_000,
      'growth progress',
    );
    await broker.stop();
    const firstPart = observer.seen.slice();
    await observer.close();
    await daemon.waitFor((l) => l.msg === 'job succeeded' && l.job === jobId, 360_000);
    const client = new ControlClient(h.home);
    const status = await client.ok<{ fleet: { connected: boolean; outboxPending: number } }>('GET', '/status');
    assert.equal(status.fleet.connected, false);
    assert.ok(status.fleet.outboxPending > 0, 'reports wait in the outbox while the broker is away');
    const predict = await fetch(`${await daemon.running()}/v1/models/default:predict`, {
      method: 'POST',
      body: JSON.stringify({ instances: [new Array(784).fill(0)] }),
    });
    assert.equal(predict.status, 200, 'serving carries on without the broker');

    // The daemon is held (SIGSTOP) until the new observer has subscribed: its reconnect timer, running since the
    // outage began, may fire at any moment after the broker is back, and reports it sends before the subscription
    // are not delivered to it (seen once in CI, with three reports missing).
    process.kill(daemon.pid, 'SIGSTOP');
    try {
      await broker.start();
      observer = await FleetObserver.connect(broker.url);
      observers.push(observer);
    } finally {
      process.kill(daemon.pid, 'SIGCONT');
    }
    await observer.waitFor(
      (m) => m.topic === topics.job(jobId) && m.body?.status === 'succeeded',
      180_000,
      'the succeeded report after the outage',
    );
    await observer.waitFor(
      (m) => m.topic === topics.birth && (m.body?.model as { depth?: number } | undefined)?.depth === 3,
      90_000,
      'the new birth',
    );

    const received = [...jobTrail(firstPart, jobId), ...jobTrail(observer.seen, jobId)];
    const db = new Database(join(h.home, 'deepend.db'), { readonly: true });
    t.after(() => db.close());
    const rows = db
      .prepare(`SELECT payload, sent_at FROM outbox WHERE topic = ? ORDER BY id`)
      .all(topics.job(jobId)) as { payload: string; sent_at: string | null }[];
    assert.ok(
      rows.every((r) => r.sent_at !== null),
      'every report marked sent',
    );
    const expected = rows
      .map((r) => JSON.parse(r.payload) as Record<string, unknown>)
      .map((p) => `${p.status}/${p.step}/${p.percent}@${p.ts}`);
    // At least once: the report in flight when the broker went away may come twice, nothing else may.
    const deduped = received.filter((x, i) => received.indexOf(x) === i);
    assert.deepEqual(deduped, expected);
    assert.ok(received.length <= expected.length + 1, `${received.length} received for ${expected.length} reports`);
  });
}
