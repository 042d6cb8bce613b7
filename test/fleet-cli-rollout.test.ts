/*
 * `deepend fleet rollout` (the real executable) against real brokers, with
 * scripted devices (real MQTT clients speaking the contract; not daemons):
 * the failure threshold, offline devices, group desired state, and resuming
 * after the CLI is killed. The same scenarios with real daemons are the
 * fleet end-to-end tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { RolloutStateFile } from '../src/fleet/cli/rollout-state';
import { brokerAvailable, MOSQUITTO_MISSING, startAedesBroker, startMosquitto, TestBroker } from './helpers/brokers';
import { eventually, fleetCli } from './helpers/fleet-cli';
import { rawClient, ScriptedFleet, ScriptedSpec } from './helpers/scripted-devices';

type Hook = { after(fn: () => void | Promise<void>): void };
const skipMosquitto = brokerAvailable('mosquitto') ? false : MOSQUITTO_MISSING;

async function scripted(t: Hook, broker: TestBroker, specs: ScriptedSpec[]): Promise<ScriptedFleet> {
  const f = await ScriptedFleet.start(broker.url, 'f1', specs, {
    protocolVersion: broker.kind === 'mosquitto' ? 5 : 4,
  });
  t.after(() => f.kill());
  return f;
}

/** Every desired document published in fleet f1 while the test runs, by topic. */
async function desiredLog(
  t: Hook,
  broker: TestBroker,
): Promise<{ client: MqttClient; byTopic: Map<string, { rolloutId: string; toDepth: number; method?: string }[]> }> {
  const client = await rawClient(broker.url);
  t.after(() => {
    client.end(true);
  });
  const byTopic = new Map<string, { rolloutId: string; toDepth: number; method?: string }[]>();
  client.on('message', (topic, payload) => {
    if (payload.length === 0) return;
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), JSON.parse(payload.toString())]);
  });
  await client.subscribeAsync(['deepend/v1/f1/+/desired', 'deepend/v1/f1/groups/+/desired'], { qos: 1 });
  return { client, byTopic };
}

const desiredOf = (device: string) => `deepend/v1/f1/${device}/desired`;

function rolloutIdIn(stderr: string): string {
  const m = /^rollout (r-\d{14}-[0-9a-f]{4}): /m.exec(stderr);
  assert.ok(m, stderr);
  return m[1];
}

test('rollout: canary, then batches; failures past --max-failures stop it: nothing more is sent, exit 1', {
  skip: skipMosquitto,
}, async (t) => {
  const broker = await startMosquitto(t);
  await scripted(
    t,
    broker,
    ['dev-e', 'dev-d', 'dev-c', 'dev-b', 'dev-a'].map((device) => ({
      device,
      job: device === 'dev-c' ? ('reject' as const) : ('succeed' as const),
    })),
  );
  const log = await desiredLog(t, broker);
  const cli = fleetCli(t, broker.url, 'f1');
  const state = join(cli.home, 'rollouts.db');
  const r = await cli.run([
    'rollout',
    '--to-depth',
    '3',
    '--method',
    'dils',
    '--canary',
    '20',
    '--batch',
    '40',
    '--max-failures',
    '25',
    '--state',
    state,
  ]);
  assert.equal(r.code, 1, r.stderr);
  const id = rolloutIdIn(r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`^rollout ${id}: 5 devices in 3 batches \\(canary: 1, 1: 2, 2: 2\\); state in ${state}$`, 'm'),
  );
  assert.match(
    r.stderr,
    /^batch canary \(1\/3, 1 device\) over: 1 succeeded, 0 rejected, 0 failed, 0 pending; median gain \+0\.40 points, worst \+0\.40 \(dev-a\)$/m,
  );
  assert.match(
    r.stderr,
    /^batch 1 \(2\/3, 2 devices\) over: 1 succeeded, 1 rejected, 0 failed, 0 pending; median gain \+0\.40 points, worst \+0\.40 \(dev-b\)$/m,
  );
  assert.doesNotMatch(r.stderr, /batch 2 /);
  const out = r.stdout.split('\n');
  assert.match(out[0], /^DEVICE\s+BATCH\s+STATUS\s+DEPTH\s+GAIN\s+REASON$/);
  assert.match(out[2], /^dev-a\s+canary\s+succeeded\s+3\s+\+0\.40$/);
  assert.match(out[3], /^dev-b\s+1\s+succeeded\s+3\s+\+0\.40$/);
  assert.match(out[4], /^dev-c\s+1\s+rejected\s+2\s+-1\.20\s+job rejected$/);
  assert.match(out[5], /^dev-d\s+2\s+not sent\s+-\s+-$/);
  assert.match(out[6], /^dev-e\s+2\s+not sent\s+-\s+-$/);
  assert.equal(
    out[7],
    `rollout ${id} stopped: 2 succeeded, 1 rejected, 0 failed, 0 pending, 2 not sent; failures 33.3% of answers (limit 25%)`,
  );
  assert.equal(out[8], 'failures passed the threshold of 25%: nothing more was sent');

  for (const d of ['dev-a', 'dev-b', 'dev-c'])
    assert.deepEqual(
      log.byTopic.get(desiredOf(d))?.map((m) => [m.rolloutId, m.toDepth, m.method]),
      [[id, 3, 'dils']],
      d,
    );
  assert.equal(log.byTopic.get(desiredOf('dev-d')), undefined);
  assert.equal(log.byTopic.get(desiredOf('dev-e')), undefined);
  const file = RolloutStateFile.open(state);
  t.after(() => file.close());
  assert.equal(file.get(id)!.status, 'stopped');

  const again = await cli.run(['rollout', '--resume', id, '--state', state]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`^rollout ${id} is already stopped$`, 'm'));
  assert.match(again.stdout, /dev-d\s+2\s+not sent/);
});

test('rollout: a canary that nobody answered is no evidence: the rest of the fleet is not sent anything, exit 1', {
  skip: skipMosquitto,
}, async (t) => {
  const broker = await startMosquitto(t);
  await scripted(t, broker, [{ device: 'dev-a', offline: true }, { device: 'dev-b' }]);
  const log = await desiredLog(t, broker);
  const cli = fleetCli(t, broker.url, 'f1');
  const r = await cli.run([
    'rollout',
    '--to-depth',
    '3',
    '--canary',
    '50',
    '--batch',
    '50',
    '--max-failures',
    '0',
    '--batch-timeout',
    '2',
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^dev-a\s+canary\s+pending/m);
  assert.match(r.stdout, /^dev-b\s+1\s+not sent/m);
  assert.match(r.stdout, /no canary device succeeded within --batch-timeout: nothing more was sent/);
  assert.equal(log.byTopic.get(desiredOf('dev-b')), undefined);
});

for (const kind of ['mosquitto', 'aedes'] as const) {
  test(`${kind}: rollout --group: an offline device is pending, not a failure, and converges when it comes back; the group's desired reaches devices that join later`, {
    skip: kind === 'mosquitto' ? skipMosquitto : false,
  }, async (t) => {
    const broker = kind === 'mosquitto' ? await startMosquitto(t) : await startAedesBroker(t);
    const devices = await scripted(t, broker, [
      { device: 'dev-a', groups: ['lab'] },
      { device: 'dev-b', groups: ['lab', 'north'], depth: 3 },
      { device: 'dev-c', groups: ['lab'], offline: true },
      { device: 'dev-x', groups: ['field'] },
    ]);
    const log = await desiredLog(t, broker);
    const cli = fleetCli(t, broker.url, 'f1');
    const r = await cli.run([
      'rollout',
      '--group',
      'lab',
      '--to-depth',
      '3',
      '--canary',
      '0',
      '--batch',
      '100',
      '--max-failures',
      '0',
      '--batch-timeout',
      '2',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    // --json: no progress on stderr, only the id as soon as the rollout is planned
    assert.deepEqual(
      r.stderr
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
      [{ rolloutId: JSON.parse(r.stdout).rolloutId, stateFile: join(cli.home, 'fleet-rollouts.db') }],
    );
    const summary = JSON.parse(r.stdout) as {
      rolloutId: string;
      status: string;
      outcome: string;
      groupPublished: boolean;
      totals: Record<string, number>;
      stateFile: string;
      devices: { device: string; batch: string; status: string; depth: number | null; jobId: string | null }[];
    };
    assert.equal(summary.status, 'completed');
    assert.equal(
      summary.stateFile,
      join(cli.home, 'fleet-rollouts.db'),
      'the default state file is $DEEPEND_HOME/fleet-rollouts.db',
    );
    assert.deepEqual(summary.totals, { succeeded: 2, rejected: 0, failed: 0, pending: 1, notSent: 0 });
    assert.deepEqual(
      summary.devices.map((d) => [d.device, d.batch, d.status, d.depth]),
      [
        ['dev-a', '1', 'succeeded', 3],
        ['dev-b', '1', 'succeeded', 3],
        ['dev-c', '1', 'pending', null],
      ],
    );
    assert.equal(summary.devices[1].jobId, null, 'dev-b was already at depth 3: no job');
    assert.equal(summary.groupPublished, true);
    assert.equal(log.byTopic.get(desiredOf('dev-x')), undefined, 'not in the group');
    assert.equal(log.byTopic.get('deepend/v1/f1/groups/lab/desired')?.[0].rolloutId, summary.rolloutId);

    await devices.device('dev-c').connect();
    const late = await ScriptedFleet.start(broker.url, 'f1', [{ device: 'dev-new', groups: ['lab'] }], {
      protocolVersion: broker.kind === 'mosquitto' ? 5 : 4,
    });
    t.after(() => late.kill());
    const reports = await rawClient(broker.url);
    t.after(() => reports.end(true));
    const reported = new Map<string, { rolloutId: string; source: string; status: string }>();
    reports.on(
      'message',
      (topic, payload) => payload.length && reported.set(topic.split('/')[3], JSON.parse(payload.toString())),
    );
    await reports.subscribeAsync('deepend/v1/f1/+/reported', { qos: 1 });
    const converged = () =>
      ['dev-c', 'dev-new'].map((d) => `${d} ${reported.get(d)?.status} ${reported.get(d)?.source}`).join(', ');
    await eventually(converged, /^dev-c succeeded device, dev-new succeeded group:lab$/);
    assert.equal(reported.get('dev-new')!.rolloutId, summary.rolloutId);
    const fleet = JSON.parse((await cli.run(['devices', '--json'])).stdout) as {
      devices: { device: string; depth: number }[];
    };
    assert.deepEqual(
      fleet.devices.map((d) => [d.device, d.depth]),
      [
        ['dev-a', 3],
        ['dev-b', 3],
        ['dev-c', 3],
        ['dev-new', 3],
        ['dev-x', 2],
      ],
    );
  });
}

test('rollout: a batch does not wait for a device that was down before it was sent (its desired document waits for it)', async (t) => {
  const broker = await startAedesBroker(t);
  await scripted(t, broker, [{ device: 'dev-a' }, { device: 'dev-b', offline: true }]);
  const cli = fleetCli(t, broker.url, 'f1');
  // Half an hour of --batch-timeout: waiting for dev-b would outlive the CLI's 60 s here.
  const r = await cli.run(
    ['rollout', '--to-depth', '3', '--canary', '50', '--batch', '50', '--max-failures', '0', '--batch-timeout', '1800'],
    { timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, `${r.signal ?? ''}\n${r.stderr}`);
  assert.match(
    r.stderr,
    /^not waited for: dev-b, down since before the batch was sent \(pending: a retained desired document waits for them\)$/m,
  );
  assert.match(r.stdout, /^dev-a\s+canary\s+succeeded/m);
  assert.match(r.stdout, /^dev-b\s+1\s+pending/m);
});

test('rollout: a device that goes down after its desired document was sent is waited for up to --batch-timeout (its job resumes when it restarts)', async (t) => {
  const broker = await startAedesBroker(t);
  const devices = await scripted(t, broker, [{ device: 'dev-a' }, { device: 'dev-c', job: 'hang' }]);
  const watcher = await rawClient(broker.url);
  t.after(() => {
    watcher.end(true);
  });
  let cut = false;
  watcher.on('message', (_topic, payload) => {
    if (!cut && payload.length > 0 && JSON.parse(payload.toString()).status === 'running') {
      cut = true;
      void devices.device('dev-c').disconnect();
    }
  });
  await watcher.subscribeAsync('deepend/v1/f1/dev-c/reported', { qos: 1 });
  const started = Date.now();
  const r = await fleetCli(t, broker.url, 'f1').run([
    'rollout',
    '--to-depth',
    '3',
    '--canary',
    '50',
    '--batch',
    '50',
    '--max-failures',
    '0',
    '--batch-timeout',
    '4',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(cut, 'dev-c was sent its desired document and went offline in its job');
  assert.doesNotMatch(r.stderr, /not waited for/);
  assert.ok(Date.now() - started >= 4000, 'the batch waited out --batch-timeout for dev-c');
  assert.match(r.stdout, /^dev-c\s+1\s+pending/m);
});

test('rollout: SIGKILL during a batch leaves a resumable state file; rerunning with the same parameters resumes without sending twice', {
  skip: skipMosquitto,
}, async (t) => {
  const broker = await startMosquitto(t);
  const devices = await scripted(t, broker, [
    { device: 'dev-a', offline: true },
    { device: 'dev-b' },
    { device: 'dev-c' },
    { device: 'dev-d' },
  ]);
  const log = await desiredLog(t, broker);
  const cli = fleetCli(t, broker.url, 'f1');
  const state = join(cli.home, 'state', 'r.db');
  const args = [
    'rollout',
    '--to-depth',
    '3',
    '--canary',
    '25',
    '--batch',
    '50',
    '--max-failures',
    '10',
    '--state',
    state,
  ];
  const first = cli.start(args);
  await eventually(first.stderr, /^batch canary \(1\/3, 1 device\): 0 succeeded, 0 failed, 0 running, 1 waiting$/m);
  first.kill('SIGKILL');
  assert.equal((await first.done).signal, 'SIGKILL');
  const id = rolloutIdIn(first.stderr());
  const file = RolloutStateFile.open(state);
  const saved = file.get(id)!;
  file.close();
  assert.equal(saved.status, 'running');
  assert.deepEqual(
    saved.devices.map((d) => [d.device, d.batch, d.status]),
    [
      ['dev-a', 0, 'sent'],
      ['dev-b', 1, 'planned'],
      ['dev-c', 1, 'planned'],
      ['dev-d', 2, 'planned'],
    ],
  );

  // The canary comes back while no CLI runs: its retained desired document is waiting for it.
  await devices.device('dev-a').connect();
  const second = await cli.run(args);
  assert.equal(second.code, 0, second.stderr);
  assert.match(
    second.stderr,
    new RegExp(`^resuming the unfinished rollout ${id} \\(started [0-9T:.-]+Z\\) with the same parameters$`, 'm'),
  );
  assert.match(
    second.stdout,
    new RegExp(`^rollout ${id} completed: 4 succeeded, 0 rejected, 0 failed, 0 pending, 0 not sent;`, 'm'),
  );
  for (const d of ['dev-a', 'dev-b', 'dev-c', 'dev-d'])
    assert.deepEqual(
      log.byTopic.get(desiredOf(d))?.map((m) => m.rolloutId),
      [id],
      `${d}: one desired document`,
    );

  const done = await cli.run(['rollout', '--resume', id, '--state', state, '--json']);
  assert.equal(done.code, 0);
  assert.equal(JSON.parse(done.stdout).status, 'completed');
  const changed = await cli.run(['rollout', '--resume', id, '--state', state, '--to-depth', '4']);
  assert.equal(changed.code, 2);
  assert.equal(
    changed.stderr,
    `deepend fleet: --to-depth 4 differs from the rollout's 3: a resumed rollout keeps its parameters\n`,
  );
  const unknown = await cli.run(['rollout', '--resume', 'r-20000101000000-0000', '--state', state]);
  assert.equal(unknown.code, 1);
  assert.equal(
    unknown.stderr,
    `deepend fleet: no rollout r-20000101000000-0000 in ${state}, nor on ${broker.url} (no retained deepend/v1/f1/rollout/r-20000101000000-0000)\n`,
  );
});

test('rollout: killed again and again at any moment, resumed each time, every device gets exactly one desired document and the rollout completes', {
  skip: skipMosquitto,
}, async (t) => {
  const broker = await startMosquitto(t);
  const ids = Array.from({ length: 8 }, (_, i) => `dev-${i + 1}`);
  await scripted(
    t,
    broker,
    ids.map((device) => ({ device, stepMs: 60 })),
  );
  const log = await desiredLog(t, broker);
  const cli = fleetCli(t, broker.url, 'f1');
  const state = join(cli.home, 'r.db');
  const args = [
    'rollout',
    '--to-depth',
    '4',
    '--canary',
    '10',
    '--batch',
    '25',
    '--max-failures',
    '0',
    '--state',
    state,
  ];
  // Each run is killed this long after it has said which rollout it carries out (the plan is on disk by then).
  const delays = [0, 5, 60, 150, 20, 300, 100, 250, 40, 400];
  let final: Awaited<ReturnType<typeof cli.run>> | null = null;
  let kills = 0;
  for (const delay of delays) {
    const run = cli.start(args);
    const started = await Promise.race([
      eventually(run.stderr, /^(rollout r-|resuming)/m).then(() => true),
      run.done.then(() => false),
    ]);
    if (started) setTimeout(() => run.kill('SIGKILL'), delay);
    const r = await run.done;
    if (r.code === 0) {
      final = r;
      break;
    }
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    kills++;
  }
  assert.ok(kills >= 3, `killed ${kills} times`);
  final ??= await cli.run(args);
  assert.equal(final.code, 0, final.stderr);
  const rolloutIds = new Set([...log.byTopic.values()].flat().map((m) => m.rolloutId));
  assert.equal(rolloutIds.size, 1, 'one rollout, resumed, never a second one');
  const [id] = rolloutIds;
  assert.match(
    final.stdout,
    new RegExp(`^rollout ${id} completed: 8 succeeded, 0 rejected, 0 failed, 0 pending, 0 not sent;`, 'm'),
  );
  for (const d of ids)
    assert.equal(log.byTopic.get(desiredOf(d))?.length, 1, `${d}: ${JSON.stringify(log.byTopic.get(desiredOf(d)))}`);
});

test('rollout: Ctrl-C stops waiting with 130, a summary and how to resume; --resume ROLLOUTID continues it', {
  skip: skipMosquitto,
}, async (t) => {
  const broker = await startMosquitto(t);
  const devices = await scripted(t, broker, [{ device: 'dev-a', offline: true }, { device: 'dev-b' }]);
  const cli = fleetCli(t, broker.url, 'f1');
  const state = join(cli.home, 'r.db');
  const run = cli.start(['rollout', '--to-depth', '3', '--canary', '50', '--max-failures', '50', '--state', state]);
  await eventually(run.stderr, /^batch canary \(1\/2, 1 device\): 0 succeeded, 0 failed, 0 running, 1 waiting$/m);
  run.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.code, 130, r.stderr);
  const id = rolloutIdIn(r.stderr);
  assert.match(r.stdout, /^dev-a\s+canary\s+pending\s+-/m);
  assert.match(r.stdout, /^dev-b\s+1\s+not sent\s+-/m);
  assert.match(
    r.stdout,
    new RegExp(`^rollout ${id} interrupted: 0 succeeded, 0 rejected, 0 failed, 1 pending, 1 not sent;`, 'm'),
  );
  assert.match(
    r.stderr,
    new RegExp(
      `^deepend fleet: rollout ${id} interrupted; resume it with deepend fleet rollout --resume ${id} --state ${state}$`,
      'm',
    ),
  );

  await devices.device('dev-a').connect();
  const resumed = await cli.run(['rollout', '--resume', id, '--state', state]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`^resuming rollout ${id} at batch canary$`, 'm'));
  assert.match(
    resumed.stdout,
    new RegExp(`^rollout ${id} completed: 2 succeeded, 0 rejected, 0 failed, 0 pending, 0 not sent;`, 'm'),
  );
});

test('rollout: the broker restarts without persistence mid-rollout; the rollout re-publishes what it owns, and a device that went down in its job still converges', {
  skip: skipMosquitto,
}, async (t) => {
  const broker = await startMosquitto(t);
  const devices = await scripted(t, broker, [{ device: 'dev-a' }, { device: 'dev-b', job: 'hang' }]);
  const cli = fleetCli(t, broker.url, 'f1');
  const run = cli.start(
    ['rollout', '--to-depth', '3', '--waves', '50,100', '--max-failures', '0', '--batch-timeout', '90'],
    { timeoutMs: 240_000 },
  );
  t.after(() => run.kill('SIGKILL'));
  // wave 2 (dev-b) is sent and its job runs: its desired document is retained on the broker
  await eventually(
    run.stderr,
    /^wave 2 \(2\/2, 100%, 1 device\): 0 succeeded, 0 failed, 1 running, 0 waiting/m,
    60_000,
  );
  const id = rolloutIdIn(run.stderr());
  // dev-b dies in its job (the wave still waits for it: it went down after the send)...
  devices.device('dev-b').kill();
  // ...and a broker without persistence restarts: every retained message is gone
  await broker.stop();
  await broker.start();
  await eventually(
    run.stderr,
    /^re-published 2 desired documents and the rollout's state after the reconnect$/m,
    60_000,
  );
  const seen = await rawClient(broker.url);
  t.after(() => {
    seen.end(true);
  });
  const retained = new Map<string, string>();
  seen.on('message', (topic, payload) => retained.set(topic, payload.toString()));
  await seen.subscribeAsync(['deepend/v1/f1/+/desired', `deepend/v1/f1/rollout/${id}`], { qos: 1 });
  await eventually(
    () => [...retained.keys()].sort().join(' '),
    new RegExp(`dev-a/desired .*dev-b/desired .*rollout/${id}`),
  );
  for (const device of ['dev-a', 'dev-b'])
    assert.equal(JSON.parse(retained.get(desiredOf(device))!).rolloutId, id, `${device}'s desired document`);
  // dev-b starts again after the restart (as a daemon resumes its job): it finds its desired document and converges
  await scripted(t, broker, [{ device: 'dev-b' }]);
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /not waited for/);
  assert.match(
    r.stdout,
    new RegExp(`^rollout ${id} completed: 2 succeeded, 0 rejected, 0 failed, 0 pending, 0 not sent;`, 'm'),
  );
});
