/*
 * `deepend fleet devices|deepen|watch` as a user runs them (the real
 * executable) against real brokers: mosquitto (MQTT 5) and the embedded aedes
 * broker (MQTT 3.1.1). The devices are a scripted peer (real MQTT clients
 * speaking the contract, test/helpers/scripted-devices.ts), not daemons.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import {
  brokerAvailable,
  freePort,
  makeTestCerts,
  MOSQUITTO_MISSING,
  startAedesBroker,
  startMosquitto,
  TestBroker,
} from './helpers/brokers';
import { BIN } from './helpers/cli';
import { eventually, fleetCli } from './helpers/fleet-cli';
import { rawClient, ScriptedFleet, ScriptedSpec } from './helpers/scripted-devices';

type Kind = 'mosquitto' | 'aedes';
type Hook = { after(fn: () => void | Promise<void>): void };

function startBroker(kind: Kind, t: Hook): Promise<TestBroker> {
  return kind === 'mosquitto' ? startMosquitto(t) : startAedesBroker(t);
}

/** mosquitto speaks MQTT 5 (replies may come on the response topic only); aedes 3.1.1. */
const protocolOf = (kind: Kind): 4 | 5 => (kind === 'mosquitto' ? 5 : 4);

async function scripted(
  t: Hook,
  broker: TestBroker,
  kind: Kind,
  fleet: string,
  specs: ScriptedSpec[],
): Promise<ScriptedFleet> {
  const f = await ScriptedFleet.start(broker.url, fleet, specs, { protocolVersion: protocolOf(kind) });
  t.after(() => f.kill());
  return f;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

for (const kind of ['mosquitto', 'aedes'] as const) {
  const skip = brokerAvailable(kind) ? false : MOSQUITTO_MISSING;

  test(`${kind}: fleet devices: a table from the retained births and states, --json, invalid retained messages skipped with one warning`, {
    skip,
  }, async (t) => {
    const broker = await startBroker(kind, t);
    const devices = await scripted(t, broker, kind, 'f1', [
      {
        device: 'dev-a',
        cpu: 'Intel Xeon E-2278G',
        gpu: 'NVIDIA RTX A2000',
        backend: 'tensorflow',
        depth: 3,
        accuracy: 0.9812,
        version: 4,
      },
      {
        device: 'dev-b',
        cpu: 'ARMv8 Processor rev 1 (v8l)',
        jetson: 'NVIDIA Jetson Orin Nano',
        backend: 'wasm',
        groups: ['lab'],
      },
      { device: 'dev-c', accuracy: null },
    ]);
    devices.device('dev-c').kill();
    const other = await scripted(t, broker, kind, 'f2', [{ device: 'elsewhere' }]);
    assert.ok(other);
    const raw = await rawClient(broker.url);
    t.after(() => raw.end(true));
    await raw.publishAsync('deepend/v1/f1/bad-1/birth', JSON.stringify({ device: 'bad-1' }), { qos: 1, retain: true });
    await raw.publishAsync('deepend/v1/f1/bad-2/state', '{not json', { qos: 1, retain: true });
    const cli = fleetCli(t, broker.url, 'f1');
    // The broker publishes dev-c's will (lost) when it notices the cut connection.
    const deadline = Date.now() + 5000;
    let r = await cli.run(['devices']);
    while (!/dev-c .* lost/.test(r.stdout) && Date.now() < deadline) r = await cli.run(['devices']);
    assert.equal(r.code, 0, r.stderr);
    const out = lines(r.stdout);
    assert.match(out[0], /^DEVICE\s+HARDWARE\s+BACKEND\s+MODEL\s+DEPTH\s+ACCURACY\s+STATE\s+LAST SEEN$/);
    assert.match(out[1], /^-+( +-+){7}$/);
    assert.equal(out.length, 5, r.stdout);
    assert.match(
      out[2],
      /^dev-a\s+Intel Xeon E-2278G \+ NVIDIA RTX A2000\s+tensorflow\s+v4\s+3\s+98\.12%\s+ready\s+now$/,
    );
    assert.match(
      out[3],
      /^dev-b\s+ARMv8 Processor rev 1 \(v8l\) \+ NVIDIA Jetson Orin Nano\s+wasm\s+v1\s+2\s+97\.00%\s+ready\s+now$/,
    );
    assert.match(out[4], /^dev-c\s+Scripted CPU\s+cpu\s+v1\s+2\s+-\s+lost\s+\d+s ago$/);
    assert.doesNotMatch(r.stdout, /elsewhere|bad-1|bad-2/);
    const warnings = lines(r.stderr);
    assert.equal(warnings.length, 2, r.stderr);
    assert.match(r.stderr, /^deepend fleet: skipping an invalid message on deepend\/v1\/f1\/bad-1\/birth: .+$/m);
    assert.match(
      r.stderr,
      /^deepend fleet: skipping an invalid message on deepend\/v1\/f1\/bad-2\/state: malformed JSON.*$/m,
    );

    const j = await cli.run(['devices', '--json']);
    assert.equal(j.code, 0, j.stderr);
    const parsed = JSON.parse(j.stdout) as {
      fleet: string;
      devices: {
        device: string;
        hardware: string;
        depth: number;
        modelVersion: number;
        accuracy: number | null;
        state: string;
        lastSeen: string;
        groups: string[];
      }[];
    };
    assert.equal(parsed.fleet, 'f1');
    assert.deepEqual(
      parsed.devices.map((d) => [d.device, d.state, d.depth, d.modelVersion, d.accuracy]),
      [
        ['dev-a', 'ready', 3, 4, 0.9812],
        ['dev-b', 'ready', 2, 1, 0.97],
        ['dev-c', 'lost', 2, 1, null],
      ],
    );
    assert.deepEqual(parsed.devices[1].groups, ['lab']);
    assert.ok(Math.abs(Date.now() - Date.parse(parsed.devices[0].lastSeen)) < 60_000);
  });

  test(`${kind}: fleet devices on an empty fleet says so and exits 0`, { skip }, async (t) => {
    const broker = await startBroker(kind, t);
    const cli = fleetCli(t, broker.url, 'empty');
    const r = await cli.run(['devices']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `no devices in fleet empty on ${broker.url}\n`);
    assert.equal(r.stderr, '');
    const j = await cli.run(['devices', '--json']);
    assert.deepEqual(JSON.parse(j.stdout).devices, []);
  });

  test(`${kind}: fleet deepen: reply, progress, before -> after; rejected, refused and unknown devices are exit 1`, {
    skip,
  }, async (t) => {
    const broker = await startBroker(kind, t);
    const devices = await scripted(t, broker, kind, 'f1', [
      { device: 'dev-a', replyOnlyToResponseTopic: true, stepMs: 250 },
      { device: 'dev-r', job: 'reject' },
      { device: 'dev-n', refuse: 'a job is already running (job-1234)' },
    ]);
    const cli = fleetCli(t, broker.url, 'f1');

    const ok = await cli.run(['deepen', 'dev-a', '--to-depth', '3', '--method', 'identity']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^dev-a job job-[0-9a-f]{8} succeeded: depth 2 -> 3, accuracy 97\.00% -> 97\.40%\n$/);
    assert.match(ok.stderr, /^dev-a: job job-[0-9a-f]{8} accepted\n/);
    assert.match(ok.stderr, /^running stage1 30%$/m);
    assert.match(ok.stderr, /^running stage2 60%$/m);
    const [cmd] = devices.device('dev-a').commands;
    assert.equal(cmd.toDepth, 3);
    assert.equal(cmd.method, 'identity');
    assert.match(cmd.commandId, /^cli-[0-9a-f-]{36}$/);
    const expires = Date.parse(cmd.expiresAt!);
    assert.ok(expires > Date.now() && expires < Date.now() + 120_000, cmd.expiresAt);

    const rejected = await cli.run(['deepen', '--to-depth', '3', 'dev-r']);
    assert.equal(rejected.code, 1);
    assert.match(
      rejected.stdout,
      /^dev-r job job-\S+ rejected: depth 2 -> 3, accuracy 97\.00% -> 95\.80% \(the gate rejected the candidate: accuracy fell by 1\.20 points\)\n$/,
    );

    const refused = await cli.run(['deepen', 'dev-n', '--to-depth', '3']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, 'deepend fleet: dev-n refused: a job is already running (job-1234)\n');

    const ghost = await cli.run(['deepen', 'ghost', '--to-depth', '3']);
    assert.equal(ghost.code, 1);
    assert.equal(
      ghost.stderr,
      "deepend fleet: device 'ghost' is not known in fleet f1: no retained birth on deepend/v1/f1/ghost/birth\n",
    );

    const json = await cli.run(['deepen', 'dev-a', '--to-depth', '4', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stderr, '', '--json keeps progress off stderr');
    const result = JSON.parse(json.stdout) as {
      device: string;
      commandId: string;
      job: { status: string; depthBefore: number; depthAfter: number };
    };
    assert.deepEqual(
      [result.device, result.job.status, result.job.depthBefore, result.job.depthAfter],
      ['dev-a', 'succeeded', 3, 4],
    );
    assert.equal(result.commandId, devices.device('dev-a').commands[1].commandId);

    const after = JSON.parse((await cli.run(['devices', '--json'])).stdout) as {
      devices: { device: string; depth: number; modelVersion: number }[];
    };
    const a = after.devices.find((d) => d.device === 'dev-a')!;
    assert.deepEqual([a.depth, a.modelVersion], [4, 3], 'the birth after the swap');
  });

  test(`${kind}: fleet deepen: --timeout gives up with exit 1, Ctrl-C stops watching with 130; the job goes on`, {
    skip,
  }, async (t) => {
    const broker = await startBroker(kind, t);
    await scripted(t, broker, kind, 'f1', [{ device: 'dev-h', job: 'hang' }]);
    const cli = fleetCli(t, broker.url, 'f1');
    const slow = await cli.run(['deepen', 'dev-h', '--to-depth', '3', '--timeout', '1']);
    assert.equal(slow.code, 1);
    assert.match(
      slow.stderr,
      /^deepend fleet: job job-\S+ on dev-h is still running after 1 s; it goes on on the device \(deepend fleet watch\)$/m,
    );

    const running = cli.start(['deepen', 'dev-h', '--to-depth', '3']);
    await eventually(running.stderr, /running stage2 60%/);
    running.kill('SIGINT');
    const stopped = await running.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(
      stopped.stderr,
      /^deepend fleet: stopped watching; job job-\S+ goes on on dev-h \(deepend fleet watch\)$/m,
    );
  });

  test(`${kind}: fleet watch: a line per change (states, births, jobs, reports), invalid messages warned once per topic; Ctrl-C is exit 0`, {
    skip,
  }, async (t) => {
    const broker = await startBroker(kind, t);
    const devices = await scripted(t, broker, kind, 'f1', [{ device: 'dev-a' }, { device: 'dev-b' }]);
    const cli = fleetCli(t, broker.url, 'f1');
    const watch = cli.start(['watch', '--for', '30']);
    await eventually(watch.stdout, /dev-b state ready/);
    const raw = await rawClient(broker.url);
    t.after(() => raw.end(true));
    for (let i = 0; i < 3; i++) await raw.publishAsync('deepend/v1/f1/dev-a/telemetry', '{"backend": 7}', { qos: 1 });
    devices.device('dev-b').kill();
    await eventually(watch.stdout, /dev-b state lost/);
    const deepen = await cli.run(['deepen', 'dev-a', '--to-depth', '3']);
    assert.equal(deepen.code, 0, deepen.stderr);
    await eventually(watch.stdout, /dev-a birth model v2 depth 3/);
    watch.kill('SIGINT');
    const r = await watch.done;
    assert.equal(r.code, 0, r.stderr);
    const out = lines(r.stdout);
    for (const l of out) assert.match(l, /^\d\d:\d\d:\d\d (dev-a|dev-b) (state|birth|job|reported) /, l);
    assert.ok(
      out.some((l) => / dev-a job job-[0-9a-f]{4}… running stage1 30%$/.test(l)),
      r.stdout,
    );
    assert.ok(
      out.some((l) => / dev-a job job-[0-9a-f]{4}… succeeded$/.test(l)),
      r.stdout,
    );
    assert.equal(out.filter((l) => / dev-a birth /.test(l)).length, 2, 'the first birth and the one after the swap');
    assert.match(
      r.stderr,
      /^deepend fleet: skipping an invalid message on deepend\/v1\/f1\/dev-a\/telemetry: .+\n$/,
      'three invalid messages, one warning',
    );

    const timed = await cli.run(['watch', '--for', '0.5']);
    assert.equal(timed.code, 0);
    assert.match(timed.stdout, /dev-a state ready/);
  });
}

test('fleet: bad input is one line on stderr and exit 2, before any broker is reached', async (t) => {
  const cli = fleetCli(t, 'mqtt://127.0.0.1:1', 'f1');
  const bare = fleetCli(t, null, null);
  const cases: [string[], RegExp, typeof cli?][] = [
    [[], /^deepend fleet: name a subcommand: devices, deepen, rollout, control, watch, console or simulate$/],
    [
      ['upgrade'],
      /^deepend fleet: unknown subcommand 'upgrade': devices, deepen, rollout, control, watch, console or simulate$/,
    ],
    [['deepen', 'dev-a'], /^deepend fleet: --to-depth is required$/],
    [['deepen', '--to-depth', '3'], /^deepend fleet: name the device/],
    [['deepen', 'dev-a', '--to-depth', '2.5'], /^deepend fleet: --to-depth must be a whole number, got '2\.5'$/],
    [['deepen', 'dev-a', '--to-depth', 'three'], /^deepend fleet: --to-depth must be a whole number, got 'three'$/],
    [['deepen', 'dev-a', '--to-depth', '65'], /^deepend fleet: --to-depth must be at most 64, got 65$/],
    [['deepen', 'dev/a', '--to-depth', '3'], /^deepend fleet: 'dev\/a' is not a device id/],
    // the device may stand before, between or after the flags; one device only
    [['deepen', '--to-depth', '3', 'dev/a'], /^deepend fleet: 'dev\/a' is not a device id/],
    [['deepen', 'dev-a', 'dev-b', '--to-depth', '3'], /^deepend fleet: unexpected argument 'dev-b'$/],
    [['deepen', 'groups', '--to-depth', '3'], /^deepend fleet: 'groups' is not a device id/],
    [
      ['deepen', 'dev-a', '--to-depth', '3', '--method', 'magic'],
      /^deepend fleet: --method must be one of dils, identity, morphism, lookahead, random, got 'magic'$/,
    ],
    [['deepen', 'dev-a', '--to-depth', '3', '--timeout', '0'], /^deepend fleet: --timeout must be more than 0 seconds/],
    [
      ['rollout', '--to-depth', '3', '--max-failures', '10'],
      /^deepend fleet: --canary PCT or --waves PCTS is required$/,
    ],
    [['rollout', '--to-depth', '3', '--canary', '10'], /^deepend fleet: --max-failures PCT is required$/],
    [['rollout', '--canary', '10', '--max-failures', '10'], /^deepend fleet: --to-depth is required$/],
    [
      ['rollout', '--to-depth', '3', '--canary', '150', '--max-failures', '10'],
      /^deepend fleet: --canary must be at most 100, got 150$/,
    ],
    [
      ['rollout', '--to-depth', '3', '--canary', '10', '--max-failures', '-1'],
      /^deepend fleet: --max-failures must be at least 0, got -1$/,
    ],
    [
      ['rollout', '--to-depth', '3', '--canary', '10', '--max-failures', '5', '--batch', '0'],
      /^deepend fleet: --batch must be more than 0, got 0$/,
    ],
    [
      ['rollout', '--to-depth', '3', '--canary', '10', '--max-failures', '5', '--group', 'a b'],
      /^deepend fleet: --group 'a b' is not a group name/,
    ],
    [['devices', '--verbose'], /^deepend fleet: unknown option --verbose$/],
    [
      ['devices', '--url', 'http://broker'],
      /^deepend fleet: --url must start with mqtt:\/\/, mqtts:\/\/, ws:\/\/, wss:\/\/, tcp:\/\/ or tls:\/\/, got 'http:\/\/broker'$/,
      bare,
    ],
    [['devices', '--fleet', 'a/b'], /^deepend fleet: --fleet 'a\/b' is not a fleet name/, bare],
    [['watch', '--for', 'soon'], /^deepend fleet: --for must be a number, got 'soon'$/],
  ];
  for (const [args, expected, runner] of cases) {
    const r = await (runner ?? cli).run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(lines(r.stderr).length, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.trimEnd(), expected, args.join(' '));
    assert.equal(r.stdout, '');
  }
});

test('fleet: an unreachable broker is one line naming it, exit 1, within 5 s; the url comes from --url, DEEPEND_MQTT_URL or the embedded port', async (t) => {
  const port = await freePort();
  const refused = `mqtt://127.0.0.1:${port}`;
  const started = Date.now();
  const r = await fleetCli(t, refused, 'f1').run(['devices']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `deepend fleet: cannot reach the broker at ${refused}: connection refused\n`);
  assert.ok(Date.now() - started < 5000);

  const fromEnv = await fleetCli(t, null, 'f1').run(['deepen', 'dev-a', '--to-depth', '3'], {
    env: { DEEPEND_MQTT_URL: `mqtt://user:secret@127.0.0.1:${port}` },
  });
  assert.equal(
    fromEnv.stderr,
    `deepend fleet: cannot reach the broker at ${refused}: connection refused\n`,
    'credentials in the url are never shown',
  );
  const embedded = await fleetCli(t, null, 'f1').run(['watch'], { env: { DEEPEND_MQTT_EMBEDDED_PORT: String(port) } });
  assert.equal(embedded.stderr, `deepend fleet: cannot reach the broker at ${refused}: connection refused\n`);

  // A port that accepts connections but never answers MQTT.
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const address = silent.address();
  const silentUrl = `mqtt://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const mute = await fleetCli(t, silentUrl, 'f1').run(['devices']);
  assert.equal(mute.code, 1);
  assert.equal(mute.stderr, `deepend fleet: cannot reach the broker at ${silentUrl}: no answer within 5 s\n`);
});

test('mosquitto: credentials and TLS come from the config variables (DEEPEND_MQTT_USERNAME, _PASSWORD, _CA, _CERT, _KEY)', {
  skip: brokerAvailable('mosquitto') ? false : MOSQUITTO_MISSING,
}, async (t) => {
  const locked = await startMosquitto(t, { users: [{ username: 'ops', password: 'right-horse' }] });
  const cli = fleetCli(t, locked.url, 'f1');
  const good = await cli.run(['devices'], {
    env: { DEEPEND_MQTT_USERNAME: 'ops', DEEPEND_MQTT_PASSWORD: 'right-horse' },
  });
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /^no devices in fleet f1/);
  const bad = await cli.run(['devices'], { env: { DEEPEND_MQTT_USERNAME: 'ops', DEEPEND_MQTT_PASSWORD: 'wrong' } });
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    new RegExp(
      `^deepend fleet: the broker at ${locked.url} refused the connection: not authorised \\(.*(authori[sz]ed|password).*\\); check mqtt\\.username and mqtt\\.password .*\\n$`,
    ),
  );
  assert.doesNotMatch(bad.stderr, /wrong/);
  // user:password@ typed in --url wins over the config's credentials, both ways
  const typed = (userinfo: string) => locked.url.replace('mqtt://', `mqtt://${userinfo}@`);
  const typedGood = await fleetCli(t, typed('ops:right-horse'), 'f1').run(['devices'], {
    env: { DEEPEND_MQTT_USERNAME: 'ops', DEEPEND_MQTT_PASSWORD: 'wrong' },
  });
  assert.equal(typedGood.code, 0, typedGood.stderr);
  const typedBad = await fleetCli(t, typed('ops:wrong'), 'f1').run(['devices'], {
    env: { DEEPEND_MQTT_USERNAME: 'ops', DEEPEND_MQTT_PASSWORD: 'right-horse' },
  });
  assert.equal(typedBad.code, 1);
  assert.match(typedBad.stderr, new RegExp(`^deepend fleet: the broker at ${locked.url} refused the connection`));

  const certs = makeTestCerts(t, 'fleet-operator');
  const tls = await startMosquitto(t, { tls: { ca: certs.ca, cert: certs.cert, key: certs.key } });
  const secure = fleetCli(t, tls.url, 'f1');
  const withCert = await secure.run(['devices'], {
    env: { DEEPEND_MQTT_CA: certs.ca, DEEPEND_MQTT_CERT: certs.clientCert, DEEPEND_MQTT_KEY: certs.clientKey },
  });
  assert.equal(withCert.code, 0, withCert.stderr);
  assert.match(withCert.stdout, /^no devices in fleet f1 on mqtts:\/\/127\.0\.0\.1:\d+$/m);
  const noCa = await secure.run(['devices'], {
    env: { DEEPEND_MQTT_CERT: certs.clientCert, DEEPEND_MQTT_KEY: certs.clientKey },
  });
  assert.equal(noCa.code, 1);
  assert.match(noCa.stderr, new RegExp(`^deepend fleet: cannot reach the broker at ${tls.url}: TLS: .+\\n$`));
  const missing = await secure.run(['devices'], { env: { DEEPEND_MQTT_CA: '/nonexistent/ca.pem' } });
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'deepend fleet: mqtt.ca: cannot read /nonexistent/ca.pem: no such file\n');
});

const hasScript = spawnSync('script', ['--version']).status === 0;

/** Runs the CLI on a pseudo-terminal (util-linux `script`), so its terminal drawing is what is tested. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, COLUMNS: '160', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('on a terminal: fleet deepen draws a redrawn bar, fleet rollout a redrawn batch line, fleet watch redraws the table and the running jobs', {
  skip: hasScript ? false : 'util-linux script is not installed',
}, async (t) => {
  const broker = await startAedesBroker(t);
  await scripted(t, broker, 'aedes', 'f1', [
    { device: 'dev-a', stepMs: 200, groups: ['solo'] },
    { device: 'dev-h', job: 'hang' },
  ]);
  const cli = fleetCli(t, broker.url, 'f1');
  const env = { DEEPEND_HOME: cli.home };
  const target = ['--url', broker.url, '--fleet', 'f1'];
  const hung = await cli.run(['deepen', 'dev-h', '--to-depth', '3', '--timeout', '1']);
  assert.equal(hung.code, 1, 'dev-h now has a running job for watch to show');

  const deepen = await onTerminal(['fleet', 'deepen', 'dev-a', '--to-depth', '3', ...target], env);
  assert.equal(deepen.code, 0, deepen.output);
  // a redraw shows the latest progress, so on a busy machine one of the scripted steps may be drawn over unseen
  assert.match(deepen.output, /\r(█{7}░{17} running stage1 30%|█{14}░{10} running stage2 60%)/);
  assert.match(deepen.output, /dev-a job job-\S+ succeeded: depth 2 -> 3/);

  const rollout = await onTerminal(
    [
      'fleet',
      'rollout',
      '--group',
      'solo',
      '--to-depth',
      '4',
      '--canary',
      '0',
      '--batch',
      '100',
      '--max-failures',
      '0',
      ...target,
    ],
    env,
  );
  assert.equal(rollout.code, 0, rollout.output);
  assert.match(
    rollout.output,
    /\rbatch 1 \(1\/1, 1 device\): 0 succeeded, 0 failed, 1 running, 0 waiting; dev-a (30|60)%/,
  );
  assert.match(
    rollout.output,
    /\r\nbatch 1 \(1\/1, 1 device\) over: 1 succeeded, 0 rejected, 0 failed, 0 pending; median gain \+0\.40 points, worst \+0\.40 \(dev-a\)\r\n/,
  );
  assert.match(rollout.output, /dev-a\s+1\s+succeeded\s+4/);

  const watch = await onTerminal(['fleet', 'watch', '--for', '1', ...target], env);
  assert.equal(watch.code, 0, watch.output);
  const screens = watch.output.split('\x1b[H\x1b[2J').filter((x) => x !== '');
  assert.ok(screens.length >= 1, watch.output);
  const last = screens[screens.length - 1];
  assert.match(last, /^fleet f1 on mqtt:\/\/127\.0\.0\.1:\d+ {2}\d\d:\d\d:\d\d {2}\(Ctrl-C to quit\)/);
  assert.match(last, /dev-a\s+Scripted CPU\s+cpu\s+v3\s+4\s+97\.80%\s+ready/);
  assert.match(last, /DEVICE\s+JOB\s+PROGRESS\s+ROLLOUT\s*\r?\n[- ]+\r?\ndev-h\s+job-\S+\s+running stage2 60%\s+-/);
});

test('aedes: fleet watch rides out a broker restart: says so, reconnects, resubscribes and goes on', async (t) => {
  const broker = await startAedesBroker(t);
  const devices = await scripted(t, broker, 'aedes', 'f1', [{ device: 'dev-a' }]);
  const cli = fleetCli(t, broker.url, 'f1');
  const watch = cli.start(['watch', '--for', '30']);
  await eventually(watch.stdout, /dev-a state ready/);
  await broker.stop();
  await eventually(watch.stdout, /^\d\d:\d\d:\d\d broker lost: reconnecting$/m);
  devices.device('dev-a').kill();
  await broker.start();
  await eventually(watch.stdout, /^\d\d:\d\d:\d\d broker reconnected$/m);
  await devices.device('dev-a').connect();
  await eventually(watch.stdout, /broker reconnected\n(.*\n)*\d\d:\d\d:\d\d dev-a state ready$/m);
  watch.kill('SIGINT');
  assert.equal((await watch.done).code, 0);
});
