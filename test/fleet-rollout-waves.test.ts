/*
 * Rollouts in waves that advance on quality: the arithmetic (waves,
 * durations, a wave's figures and its stop rule), then `deepend fleet
 * rollout --waves` (the real executable) against a real broker with scripted
 * devices (real MQTT clients speaking the contract) that report gains and
 * losses and obey cmd/rollback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import {
  judgeWave,
  parseDuration,
  parseWaves,
  planWaves,
  WAVE_DEFAULTS,
  waveFigures,
  WaveDeviceResult,
} from '../src/fleet/cli/rollout-plan';
import { RolloutStateFile } from '../src/fleet/cli/rollout-state';
import { brokerAvailable, MOSQUITTO_MISSING, startAedesBroker, startMosquitto, TestBroker } from './helpers/brokers';
import { eventually, fleetCli } from './helpers/fleet-cli';
import { rawClient, ScriptedFleet, ScriptedSpec } from './helpers/scripted-devices';

type Hook = { after(fn: () => void | Promise<void>): void };
const skipMosquitto = brokerAvailable('mosquitto') ? false : MOSQUITTO_MISSING;

const ids = (n: number) => Array.from({ length: n }, (_, i) => `dev-${i + 1}`);

test('waves: cumulative percentages, at least one more device per wave, a wave that adds none dropped', () => {
  assert.deepEqual(planWaves(ids(8), [1, 10, 50, 100]).batches, [
    ['dev-1'],
    ['dev-2'],
    ['dev-3', 'dev-4'],
    ['dev-5', 'dev-6', 'dev-7', 'dev-8'],
  ]);
  assert.deepEqual(
    planWaves(
      Array.from({ length: 200 }, (_, i) => `d${String(i).padStart(3, '0')}`),
      [1, 10, 50, 100],
    ).batches.map((b) => b.length),
    [2, 18, 80, 100],
  );
  const two = planWaves(ids(2), [1, 10, 50, 100]);
  assert.deepEqual(two.batches, [['dev-1'], ['dev-2']]);
  assert.deepEqual(two.wavesPct, [1, 10], 'the waves kept');
  assert.deepEqual(planWaves([], [100]).batches, []);
});

test('--waves and --pause values: what is accepted, and what is wrong in words', () => {
  assert.deepEqual(parseWaves('1,10,50,100'), { waves: [1, 10, 50, 100] });
  assert.deepEqual(parseWaves(' 0.5, 100'), { waves: [0.5, 100] });
  assert.deepEqual(parseWaves('100'), { waves: [100] });
  assert.deepEqual(parseWaves('10,5,100'), { problem: '5 does not increase on 10 (the waves are cumulative)' });
  assert.deepEqual(parseWaves('1,10,50'), { problem: 'the last wave must be 100 (every device of the target set)' });
  assert.deepEqual(parseWaves('1,,100'), {
    problem: "'' is not a percentage (give increasing percentages, e.g. 1,10,50,100)",
  });
  assert.deepEqual(parseWaves('0,100'), { problem: '0 is not a percentage in (0, 100]' });
  assert.deepEqual(parseWaves('50,150'), { problem: '150 is not a percentage in (0, 100]' });
  assert.equal(parseDuration('30s'), 30);
  assert.equal(parseDuration('10m'), 600);
  assert.equal(parseDuration('1.5h'), 5400);
  assert.equal(parseDuration('0s'), 0);
  for (const bad of ['10', '10x', '-1m', 'm', '', '1h30m']) assert.equal(parseDuration(bad), null, bad);
});

function result(device: string, status: string, jobStatus: string | null, before: number | null, after: number | null) {
  return { device, status, jobStatus, accuracyBefore: before, accuracyAfter: after } satisfies WaveDeviceResult;
}

test("a wave's figures and its rule: failures and rejections, the median gain, the worst loss", () => {
  const wave = [
    result('a', 'succeeded', 'succeeded', 0.9, 0.905),
    result('b', 'succeeded', 'succeeded', 0.9, 0.902),
    result('c', 'succeeded', 'succeeded', 0.9, 0.885),
    result('d', 'failed', 'rejected', 0.9, 0.88),
    result('e', 'failed', 'failed', 0.9, null),
    result('f', 'pending', null, null, null),
    result('g', 'succeeded', null, null, null),
  ];
  const f = waveFigures(wave);
  assert.deepEqual(
    { ...f, gains: undefined },
    {
      devices: 7,
      succeeded: 4,
      rejected: 1,
      failed: 1,
      pending: 1,
      gains: undefined,
      medianGain: 0.2,
      worst: { device: 'c', gain: -1.5 },
    },
    "g's job was not needed (already at depth): no gain measured",
  );
  const rule = { ...WAVE_DEFAULTS, maxFailuresPct: 50 };
  assert.deepEqual(judgeWave(f, rule), { pass: true }, '2 of 6 answers: 33.3% is within 50%');
  assert.deepEqual(judgeWave(f, { ...rule, maxFailuresPct: 30 }), {
    pass: false,
    rule: 'max-failures',
    why: '2 of 6 answers failed or were rejected (33.3%, limit 30%)',
  });
  assert.deepEqual(judgeWave(f, { ...rule, maxLoss: 1 }), {
    pass: false,
    rule: 'max-loss',
    why: 'c lost 1.50 points (limit 1); median gain +0.20 points, worst -1.50 (c)',
  });
  assert.deepEqual(judgeWave(f, { ...rule, maxLoss: 1.5 }), { pass: true }, 'a loss of exactly the limit passes');
  assert.deepEqual(judgeWave(f, { ...rule, minMedianGain: 0.25 }), {
    pass: false,
    rule: 'min-median-gain',
    why: 'median gain +0.20 points is below 0.25 (3 measured); median gain +0.20 points, worst -1.50 (c)',
  });
  assert.deepEqual(judgeWave(f, { ...rule, minMedianGain: 0.2 }), { pass: true });
  const none = waveFigures([result('x', 'pending', null, null, null)]);
  assert.deepEqual(judgeWave(none, { ...rule, minMedianGain: 1, maxLoss: 0 }), { pass: true }, 'nothing measured');
});

test('a state file from before waves is migrated: its rollouts read as canary-and-batch rollouts', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'deepend-rollouts-v1-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'fleet-rollouts.db');
  const db = new Database(file);
  db.exec(`
CREATE TABLE rollouts (id TEXT PRIMARY KEY, params_key TEXT NOT NULL, params TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'stopped', 'completed')), has_canary INTEGER NOT NULL,
  batch_count INTEGER NOT NULL, current_batch INTEGER NOT NULL, group_published INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX rollouts_by_params ON rollouts (params_key, status);
CREATE TABLE rollout_devices (rollout_id TEXT NOT NULL REFERENCES rollouts (id), device TEXT NOT NULL,
  batch INTEGER NOT NULL, status TEXT NOT NULL CHECK (status IN ('planned', 'sent', 'running', 'succeeded', 'failed', 'pending')),
  depth INTEGER, job_id TEXT, reason TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (rollout_id, device));
PRAGMA user_version = 1;`);
  const old = { fleet: 'f1', group: null, toDepth: 3, method: null, canaryPct: 0, batchPct: 100, maxFailuresPct: 0 };
  const ts = '2025-01-01T00:00:00.000Z';
  db.prepare("INSERT INTO rollouts VALUES ('r-1', ?, ?, 'running', 0, 1, 0, 0, ?, ?)").run(
    JSON.stringify(Object.values(old)),
    JSON.stringify(old),
    ts,
    ts,
  );
  db.prepare("INSERT INTO rollout_devices VALUES ('r-1', 'a', 0, 'sent', NULL, NULL, NULL, ?)").run(ts);
  db.close();
  const state = RolloutStateFile.open(file);
  t.after(() => state.close());
  const r = state.get('r-1')!;
  assert.deepEqual(r.params, { ...old, ...WAVE_DEFAULTS });
  assert.equal(state.findUnfinished(r.params)?.id, 'r-1', 'its key is unchanged: rerunning resumes it');
  assert.deepEqual(r.devices[0], {
    device: 'a',
    batch: 0,
    status: 'sent',
    depth: null,
    jobId: null,
    reason: null,
    jobStatus: null,
    accuracyBefore: null,
    accuracyAfter: null,
    rollback: null,
  });
  assert.equal(r.stop, null);
  assert.equal(r.paused, null);
  assert.deepEqual(r.lostAtPlan, []);
  state.setPaused('r-1', { at: ts, by: 'console' });
  assert.deepEqual(
    state.get('r-1')!.paused,
    { at: ts, by: 'console' },
    'migrated to the latest schema: pauses are kept',
  );
});

async function scripted(t: Hook, broker: TestBroker, specs: ScriptedSpec[]): Promise<ScriptedFleet> {
  const f = await ScriptedFleet.start(broker.url, 'f1', specs, {
    protocolVersion: broker.kind === 'mosquitto' ? 5 : 4,
  });
  t.after(() => f.kill());
  return f;
}

/** Every retained birth's depth in fleet f1, as the broker holds it now. */
async function depths(url: string): Promise<Record<string, number>> {
  const client: MqttClient = await rawClient(url);
  const out: Record<string, number> = {};
  client.on('message', (topic, payload) => {
    if (payload.length) out[topic.split('/')[3]] = JSON.parse(payload.toString()).model.depth;
  });
  await client.subscribeAsync('deepend/v1/f1/+/birth', { qos: 1 });
  await new Promise((r) => setTimeout(r, 300));
  client.end(true);
  return out;
}

function rolloutIdIn(stderr: string): string {
  const m = /^rollout (r-\d{14}-[0-9a-f]{4}): /m.exec(stderr);
  assert.ok(m, stderr);
  return m[1];
}

const WAVE_ARGS = ['rollout', '--to-depth', '3', '--waves', '1,10,50,100', '--max-failures', '0'];

for (const kind of ['mosquitto', 'aedes'] as const) {
  test(`${kind}: a 4-wave rollout stops at the wave where a device lost more than --max-loss, names the rule and the figures, and rolls that wave back`, {
    skip: kind === 'mosquitto' ? skipMosquitto : false,
  }, async (t) => {
    const broker = kind === 'mosquitto' ? await startMosquitto(t) : await startAedesBroker(t);
    const fleet = await scripted(
      t,
      broker,
      ids(8).map((device) => ({ device, gain: device === 'dev-4' ? -1.5 : 0.4 })),
    );
    const cli = fleetCli(t, broker.url, 'f1');
    const r = await cli.run([...WAVE_ARGS, '--max-loss', '1', '--min-median-gain', '0', '--rollback-on-stop']);
    assert.equal(r.code, 1, r.stderr);
    const id = rolloutIdIn(r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^rollout ${id}: 8 devices in 4 waves \\(1 \\(1%\\): 1, 2 \\(10%\\): 1, 3 \\(50%\\): 2, 4 \\(100%\\): 4\\); state in `,
        'm',
      ),
    );
    assert.match(
      r.stderr,
      /^wave 1 \(1\/4, 1%, 1 device\) over: 1 succeeded, 0 rejected, 0 failed, 0 pending; median gain \+0\.40 points, worst \+0\.40 \(dev-1\)$/m,
    );
    assert.match(
      r.stderr,
      /^wave 3 \(3\/4, 50%, 2 devices\) over: 2 succeeded, 0 rejected, 0 failed, 0 pending; median gain -0\.55 points, worst -1\.50 \(dev-4\)$/m,
    );
    assert.doesNotMatch(r.stderr, /^wave 4 /m);
    assert.match(r.stderr, /^rolled back 2 of 2 devices of wave 3$/m);
    const out = r.stdout.split('\n');
    assert.match(out[0], /^DEVICE\s+WAVE\s+STATUS\s+DEPTH\s+GAIN\s+REASON$/);
    assert.match(out[2], /^dev-1\s+1\s+succeeded\s+3\s+\+0\.40$/);
    assert.match(out[4], /^dev-3\s+3\s+rolled back\s+2\s+\+0\.40$/);
    assert.match(out[5], /^dev-4\s+3\s+rolled back\s+2\s+-1\.50$/);
    assert.match(out[6], /^dev-5\s+4\s+not sent\s+-\s+-$/);
    assert.equal(
      out[10],
      `rollout ${id} stopped: 4 succeeded, 0 rejected, 0 failed, 0 pending, 4 not sent; failures 0.0% of answers (limit 0% per wave)`,
    );
    assert.equal(
      out[11],
      'wave 3 failed the rule --max-loss: dev-4 lost 1.50 points (limit 1); median gain -0.55 points, worst -1.50 (dev-4); nothing more was sent',
    );
    assert.equal(out[12], 'rolled back 2 of 2 devices of wave 3');
    assert.match(out[14], /^WAVE\s+DEVICES\s+SUCCEEDED\s+REJECTED\s+FAILED\s+PENDING\s+MEDIAN GAIN\s+WORST$/);
    assert.match(out[16], /^1 \(1%\)\s+1\s+1\s+0\s+0\s+0\s+\+0\.40\s+\+0\.40 \(dev-1\)$/);
    assert.match(out[18], /^3 \(50%\)\s+2\s+2\s+0\s+0\s+0\s+-0\.55\s+-1\.50 \(dev-4\)$/);
    assert.equal(out.length, 20, r.stdout);

    assert.deepEqual(
      fleet.device('dev-4').rollbacks.map((c) => c.commandId),
      [`rollout:${id}:rollback:3`],
      'the validated rollback command, once',
    );
    assert.equal(fleet.device('dev-2').rollbacks.length, 0, 'an earlier wave is not rolled back');
    assert.deepEqual(await depths(broker.url), {
      'dev-1': 3,
      'dev-2': 3,
      'dev-3': 2,
      'dev-4': 2,
      'dev-5': 2,
      'dev-6': 2,
      'dev-7': 2,
      'dev-8': 2,
    });

    const json = JSON.parse((await cli.run(['rollout', '--resume', id, '--json'])).stdout) as {
      status: string;
      stop: { batch: number; rule: string; why: string; wave: string };
      waves: {
        wave: string;
        pct: number;
        succeeded: number;
        medianGain: number;
        worst: { device: string; gain: number };
      }[];
    };
    assert.equal(json.status, 'stopped');
    assert.deepEqual({ ...json.stop, why: undefined }, { batch: 2, rule: 'max-loss', why: undefined, wave: '3' });
    assert.deepEqual(
      json.waves.map((w) => [w.wave, w.pct, w.succeeded, w.medianGain, w.worst]),
      [
        ['1', 1, 1, 0.4, { device: 'dev-1', gain: 0.4 }],
        ['2', 10, 1, 0.4, { device: 'dev-2', gain: 0.4 }],
        ['3', 50, 2, -0.55, { device: 'dev-4', gain: -1.5 }],
      ],
    );
  });
}

test('a rollout whose waves all pass the rule completes, pausing --pause between waves', async (t) => {
  const broker = await startAedesBroker(t);
  await scripted(
    t,
    broker,
    ids(4).map((device) => ({ device, gain: device === 'dev-3' ? 0.1 : 0.6 })),
  );
  const cli = fleetCli(t, broker.url, 'f1');
  const started = Date.now();
  const r = await cli.run([
    ...WAVE_ARGS,
    '--pause',
    '2s',
    '--max-loss',
    '1',
    '--min-median-gain',
    '0.05',
    '--rollback-on-stop',
  ]);
  const elapsed = Date.now() - started;
  assert.equal(r.code, 0, r.stderr);
  const id = rolloutIdIn(r.stderr);
  assert.match(r.stderr, /^rollout r-\S+: 4 devices in 4 waves \(.*\), 2s apart; state in /m);
  const pauses = r.stderr.match(/^pausing 2s before wave [234] \(until \S+Z\)$/gm) ?? [];
  assert.equal(pauses.length, 3, r.stderr);
  assert.ok(elapsed >= 6000, `three pauses of 2 s: ${elapsed} ms`);
  assert.match(
    r.stderr,
    /^wave 3 \(3\/4, 50%, 1 device\) over: 1 succeeded, 0 rejected, 0 failed, 0 pending; median gain \+0\.10 points, worst \+0\.10 \(dev-3\)$/m,
  );
  assert.match(
    r.stdout,
    new RegExp(`^rollout ${id} completed: 4 succeeded, 0 rejected, 0 failed, 0 pending, 0 not sent;`, 'm'),
  );
  assert.doesNotMatch(r.stdout, /rolled back|failed the rule/);
});

test('a rejected device is a failure of its wave, told apart from a failed one', async (t) => {
  const broker = await startAedesBroker(t);
  await scripted(t, broker, [
    { device: 'dev-1' },
    { device: 'dev-2', job: 'reject' },
    { device: 'dev-3' },
    { device: 'dev-4', job: 'fail' },
  ]);
  const cli = fleetCli(t, broker.url, 'f1');
  const r = await cli.run(['rollout', '--to-depth', '3', '--waves', '25,100', '--max-failures', '50']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^wave 2 \(2\/2, 100%, 3 devices\) over: 1 succeeded, 1 rejected, 1 failed, 0 pending;/m);
  assert.match(
    r.stdout,
    /^wave 2 failed the rule --max-failures: 2 of 3 answers failed or were rejected \(66\.7%, limit 50%\); nothing more was sent$/m,
  );
  // GAIN is what the job measured: for a rejected candidate, the loss its gate kept off the device.
  assert.match(r.stdout, /^dev-2\s+2\s+rejected\s+2\s+-1\.20\s+job rejected$/m);
  assert.match(r.stdout, /^dev-4\s+2\s+failed\s+2\s+-1\.20\s+job failed$/m);
  assert.match(r.stdout, /^2 \(100%\)\s+3\s+1\s+1\s+1\s+0\s+\+0\.40\s+\+0\.40 \(dev-3\)$/m);
});

test('devices of the target set that are lost or offline when planned are named in the plan', async (t) => {
  const broker = await startAedesBroker(t);
  const fleet = await scripted(t, broker, [
    { device: 'dev-1' },
    { device: 'dev-2', offline: true },
    { device: 'dev-3' },
  ]);
  fleet.device('dev-3').kill();
  const cli = fleetCli(t, broker.url, 'f1');
  await new Promise((r) => setTimeout(r, 300));
  const r = await cli.run([...WAVE_ARGS, '--batch-timeout', '2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { lostAtPlan: { device: string; state: string }[] };
  assert.deepEqual(
    summary.lostAtPlan.map((l) => [l.device, l.state]),
    [
      ['dev-2', 'offline'],
      ['dev-3', 'lost'],
    ],
  );
  const text = await cli.run([...WAVE_ARGS.map((a) => (a === '3' ? '4' : a)), '--batch-timeout', '1']);
  assert.match(
    text.stderr,
    /^2 devices were not online when planned \(in the plan all the same: a retained desired document waits for them\): dev-2 \(offline \d+s ago\), dev-3 \(lost \d+s ago\)$/m,
  );
});

test('the rollout lives on the broker: a second CLI with another home resumes it from the retained rollout/ID topic after the first is killed', async (t) => {
  const broker = await startAedesBroker(t);
  const fleet = await scripted(
    t,
    broker,
    ids(4).map((device) => ({ device })),
  );
  const desired = new Map<string, string[]>();
  const rollouts: { status: string; currentBatch: number; devices: { device: string; status: string }[] }[] = [];
  const watcher = await rawClient(broker.url);
  t.after(() => {
    watcher.end(true);
  });
  watcher.on('message', (topic, payload) => {
    if (payload.length === 0) return;
    const body = JSON.parse(payload.toString());
    if (topic.endsWith('/desired'))
      desired.set(topic.split('/')[3], [...(desired.get(topic.split('/')[3]) ?? []), body.rolloutId]);
    else rollouts.push(body);
  });
  await watcher.subscribeAsync(['deepend/v1/f1/+/desired', 'deepend/v1/f1/rollout/+'], { qos: 1 });

  const first = fleetCli(t, broker.url, 'f1');
  const run = first.start([
    'rollout',
    '--to-depth',
    '3',
    '--waves',
    '25,50,75,100',
    '--max-failures',
    '0',
    '--pause',
    '3s',
    '--min-median-gain',
    '0',
  ]);
  await eventually(run.stderr, /^pausing 3s before wave 2 /m);
  run.kill('SIGKILL');
  await run.done;
  const id = rolloutIdIn(run.stderr());
  await eventually(() => JSON.stringify(rollouts.at(-1) ?? null), /"currentBatch":1/, 5000);
  const seen = rollouts.at(-1)!;
  assert.equal(seen.status, 'running');
  assert.deepEqual(
    seen.devices.map((d) => [d.device, d.status]),
    [
      ['dev-1', 'succeeded'],
      ['dev-2', 'planned'],
      ['dev-3', 'planned'],
      ['dev-4', 'planned'],
    ],
    'another client sees the plan and the progress',
  );

  const second = fleetCli(t, broker.url, 'f1');
  const r = await second.run(['rollout', '--resume', id]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `^read rollout ${id} \\(running\\) from deepend/v1/f1/rollout/${id}; its state is now in ${second.home}/fleet-rollouts.db too$`,
      'm',
    ),
  );
  assert.match(r.stderr, new RegExp(`^resuming rollout ${id} at wave 2$`, 'm'));
  assert.match(r.stderr, /^pausing [123]s before wave 2 /m, 'what was left of the pause');
  assert.match(
    r.stdout,
    new RegExp(`^rollout ${id} completed: 4 succeeded, 0 rejected, 0 failed, 0 pending, 0 not sent;`, 'm'),
  );
  for (const d of ids(4)) assert.deepEqual(desired.get(d), [id], `${d}: one desired document`);
  assert.equal(rollouts.at(-1)!.status, 'completed', 'the topic says how it ended');
  assert.equal(fleet.device('dev-1').rollbacks.length, 0);

  const again = await fleetCli(t, broker.url, 'f1').run(['rollout', '--resume', id, '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).status, 'completed', 'a third home reads how it ended');
});

test('a device of the target set that appears during the rollout joins its last wave', async (t) => {
  const broker = await startAedesBroker(t);
  await scripted(t, broker, [
    { device: 'dev-1', groups: ['lab'] },
    { device: 'dev-2', groups: ['lab'] },
  ]);
  const cli = fleetCli(t, broker.url, 'f1');
  const run = cli.start([
    'rollout',
    '--group',
    'lab',
    '--to-depth',
    '3',
    '--waves',
    '50,100',
    '--max-failures',
    '0',
    '--pause',
    '2s',
  ]);
  await eventually(run.stderr, /^pausing 2s before wave 2 /m);
  await scripted(t, broker, [
    { device: 'dev-late', groups: ['lab'] },
    { device: 'dev-other', groups: ['field'] },
  ]);
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^dev-late joined the target set: added to wave 2$/m);
  assert.doesNotMatch(r.stderr, /dev-other/);
  assert.match(r.stdout, /^dev-late\s+2\s+succeeded\s+3\s+\+0\.40$/m);
  assert.match(r.stdout, / completed: 3 succeeded, 0 rejected, 0 failed, 0 pending, 0 not sent;/);
});

test('deepend fleet control pauses, resumes and aborts a rollout another CLI runs; a rollout not running or not there is exit 1', async (t) => {
  const broker = await startAedesBroker(t);
  await scripted(
    t,
    broker,
    ids(4).map((device) => ({ device })),
  );
  const runner = fleetCli(t, broker.url, 'f1');
  const operator = fleetCli(t, broker.url, 'f1');
  const run = runner.start([
    'rollout',
    '--to-depth',
    '3',
    '--waves',
    '25,50,100',
    '--max-failures',
    '0',
    '--pause',
    '10s',
  ]);
  t.after(() => run.kill('SIGKILL'));
  // The operator's commands are CLI processes that must start and reach the broker inside a pause: on a machine busy
  // with parallel test files that took over 2 s, and an abort meant for the pause before wave 3 came after it.
  await eventually(run.stderr, /^pausing 10s before wave 2 /m);
  const id = rolloutIdIn(run.stderr());

  const paused = await operator.run(['control', id, 'pause']);
  assert.equal(paused.code, 0, paused.stderr);
  assert.match(
    paused.stdout,
    new RegExp(`^rollout ${id} paused by cli on \\S+ since \\S+Z: no further wave is sent$`, 'm'),
  );
  // held past its 10 s pause, in the runner's process
  await eventually(
    run.stderr,
    new RegExp(
      `^held before wave 2: paused by cli on \\S+; resume it from a console or with deepend fleet control ${id} resume$`,
      'm',
    ),
    30_000,
  );
  assert.doesNotMatch(run.stderr(), /^wave 2 .* over/m);

  const resumed = await operator.run(['control', id, 'resume', '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(JSON.parse(resumed.stdout), { rolloutId: id, status: 'running', paused: null });
  await eventually(run.stderr, /^pausing 10s before wave 3 /m);

  const aborted = await operator.run(['control', id, 'abort']);
  assert.equal(aborted.code, 0, aborted.stderr);
  assert.equal(aborted.stdout, `rollout ${id} aborted: stopped, nothing more is sent\n`);
  const r = await run.done;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^aborted before wave 3: nothing more was sent$/m);
  assert.match(r.stdout, /^dev-2\s+2\s+succeeded/m);
  assert.match(r.stdout, /^dev-3\s+3\s+not sent/m);
  assert.match(r.stdout, /^dev-4\s+3\s+not sent/m);

  const again = await operator.run(['control', id, 'pause']);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, `deepend fleet: rollout ${id} is already stopped\n`);
  const none = await operator.run(['control', 'r-nope', 'resume']);
  assert.equal(none.code, 1);
  assert.equal(none.stderr, "deepend fleet: no rollout 'r-nope' on the broker\n");
  const bad = await operator.run(['control', id, 'stop']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, "deepend fleet: unknown action 'stop': pause, resume, abort\n");
});

test('an abort while a wave is out says the wave was sent: its devices carry their upgrade out', async (t) => {
  const broker = await startAedesBroker(t);
  await scripted(t, broker, [{ device: 'dev-1', job: 'hang' }, { device: 'dev-2' }]);
  const run = fleetCli(t, broker.url, 'f1').start([
    'rollout',
    '--to-depth',
    '3',
    '--waves',
    '50,100',
    '--max-failures',
    '0',
  ]);
  t.after(() => run.kill('SIGKILL'));
  await eventually(run.stderr, /^wave 1 .*1 running/m);
  const id = rolloutIdIn(run.stderr());
  const aborted = await fleetCli(t, broker.url, 'f1').run(['control', id, 'abort']);
  assert.equal(aborted.code, 0, aborted.stderr);
  const r = await run.done;
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stdout,
    /^aborted in wave 1, which was already sent \(its devices carry their upgrade out\): nothing more was sent$/m,
  );
  assert.match(r.stdout, /^dev-2\s+2\s+not sent/m);
});

test('usage errors: a bad --waves or --pause is exit 2 with one line, before any broker is reached', async (t) => {
  const cli = fleetCli(t, 'mqtt://127.0.0.1:9', 'f1');
  const cases: [string[], string][] = [
    [['--waves', '10,5,100'], "--waves '10,5,100': 5 does not increase on 10 (the waves are cumulative)"],
    [['--waves', '1,50'], "--waves '1,50': the last wave must be 100 (every device of the target set)"],
    [['--waves', 'all'], "--waves 'all': 'all' is not a percentage (give increasing percentages, e.g. 1,10,50,100)"],
    [['--waves', '1,100', '--pause', '10'], "--pause must be a duration like 30s, 10m or 1h, got '10'"],
    [['--waves', '1,100', '--pause', 'soon'], "--pause must be a duration like 30s, 10m or 1h, got 'soon'"],
    [['--waves', '1,100', '--canary', '10'], '--waves replaces --canary and --batch: give one or the other'],
    [['--waves', '1,100', '--max-loss=-1'], '--max-loss must be at least 0, got -1'],
  ];
  for (const [extra, line] of cases) {
    const r = await cli.run(['rollout', '--to-depth', '3', '--max-failures', '0', ...extra]);
    assert.equal(r.code, 2, `${extra.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, `deepend fleet: ${line}\n`);
    assert.equal(r.stdout, '');
  }
  const help = await cli.run(['rollout', '--help']);
  assert.equal(help.code, 0);
  for (const flag of [
    '--waves PCTS',
    '--pause DURATION',
    '--min-median-gain POINTS',
    '--max-loss POINTS',
    '--rollback-on-stop',
  ])
    assert.match(help.stdout, new RegExp(`^\\s+${flag}\\s+\\S.*$`, 'm'), flag);
});
