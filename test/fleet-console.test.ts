import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:http';
import { hostname } from 'node:os';
import { checkHost, checkOrigin, checkToken, isLoopbackAddress } from '../src/fleet/console/access';
import { deepenBodyProblem } from '../src/fleet/console/device-actions';
import { consoleToken } from '../src/fleet/console/token';
import { failingIndexes } from '../src/fleet/sim/simulation';
import { rolloutDoc } from '../src/fleet/console/rollout-doc';
import { rolloutMessage } from '../src/fleet/cli/rollout-topic';
import { WAVE_DEFAULTS } from '../src/fleet/cli/rollout-plan';
import type { RolloutDevice, RolloutRecord } from '../src/fleet/cli/rollout-state';
import { startAedesBroker } from './helpers/brokers';
import { eventually, fleetCli } from './helpers/fleet-cli';

// The console's access rules, request checks and command line, without a
// browser (fleet-console-browser.test.ts drives the page in chromium).

function fakeRequest(method: string, headers: Record<string, string>): IncomingMessage {
  return { method, headers } as unknown as IncomingMessage;
}

const url = (path: string) => new URL(path, 'http://console.invalid');

test('loopback: no token, but a loopback Host and, for actions, the console Origin', () => {
  const rules = { token: null, loopback: true };
  assert.ok(isLoopbackAddress('127.0.0.1') && isLoopbackAddress('::1') && isLoopbackAddress('localhost'));
  assert.ok(!isLoopbackAddress('0.0.0.0') && !isLoopbackAddress('192.168.1.4'));
  for (const host of ['127.0.0.1:8600', 'localhost:8600', '[::1]:8600'])
    assert.deepEqual(checkHost(fakeRequest('GET', { host }), rules), { ok: true });
  // a DNS-rebinding page reaches 127.0.0.1 under its own name
  assert.match(
    (checkHost(fakeRequest('GET', { host: 'evil.example:8600' }), rules) as { why: string }).why,
    /not this loopback console/,
  );
  assert.deepEqual(checkToken(fakeRequest('POST', { host: '127.0.0.1:8600' }), url('/api/deepen'), rules), {
    ok: true,
  });
  const same = fakeRequest('POST', { host: '127.0.0.1:8600', origin: 'http://127.0.0.1:8600' });
  assert.deepEqual(checkOrigin(same), { ok: true });
  for (const origin of ['http://evil.example', 'http://127.0.0.1:9999', 'null', 'https://127.0.0.1:8600'])
    assert.equal(checkOrigin(fakeRequest('POST', { host: '127.0.0.1:8600', origin })).ok, false, origin);
  assert.equal(checkOrigin(fakeRequest('POST', { host: '127.0.0.1:8600' })).ok, false);
});

test('off loopback: a token is required, as a Bearer header (or ?token= on GET, for the event stream)', () => {
  const rules = { token: 'a-token-of-enough-length', loopback: false };
  assert.deepEqual(checkHost(fakeRequest('GET', { host: 'console.lan:8600' }), rules), { ok: true });
  const bearer = { host: 'h', authorization: 'Bearer a-token-of-enough-length' };
  assert.deepEqual(checkToken(fakeRequest('POST', bearer), url('/api/deepen'), rules), { ok: true });
  assert.match(
    (checkToken(fakeRequest('POST', { host: 'h' }), url('/api/deepen'), rules) as { why: string }).why,
    /token is required/,
  );
  assert.match(
    (
      checkToken(fakeRequest('POST', { host: 'h', authorization: 'Bearer nope' }), url('/api/deepen'), rules) as {
        why: string;
      }
    ).why,
    /wrong console token/,
  );
  assert.deepEqual(
    checkToken(fakeRequest('GET', { host: 'h' }), url('/api/events?token=a-token-of-enough-length'), rules),
    { ok: true },
  );
  // an action never takes the token from the URL
  assert.equal(
    checkToken(fakeRequest('POST', { host: 'h' }), url('/api/deepen?token=a-token-of-enough-length'), rules).ok,
    false,
  );
  const generated = consoleToken({ tokenFile: undefined, loopback: false });
  assert.ok(generated.generated && (generated.token?.length ?? 0) >= 32);
  assert.deepEqual(consoleToken({ tokenFile: undefined, loopback: true }), { token: null, generated: false });
});

test('deepen requests are checked before anything is sent', () => {
  assert.equal(deepenBodyProblem({ device: 'dev-1', toDepth: 4 }), null);
  assert.equal(deepenBodyProblem({ group: 'lab', toDepth: 4, method: 'dils' }), null);
  const problems: [unknown, RegExp][] = [
    [[], /JSON object/],
    [{ toDepth: 4 }, /either a device or a group/],
    [{ device: 'a', group: 'b', toDepth: 4 }, /either a device or a group/],
    [{ device: 'a/b', toDepth: 4 }, /^device: /],
    [{ device: 'a', toDepth: 2.5 }, /^toDepth: must be a whole number from 1 to 64$/],
    [{ device: 'a', toDepth: 65 }, /^toDepth: /],
    [{ device: 'a', toDepth: 4, method: 'magic' }, /^method: must be one of/],
    [{ device: 'a', toDepth: 4, extra: 1 }, /^extra: unknown key/],
  ];
  for (const [body, pattern] of problems) assert.match(deepenBodyProblem(body) ?? '', pattern, JSON.stringify(body));
});

test('fleet simulate spreads --fail-rate evenly over the devices', () => {
  assert.deepEqual([...failingIndexes(0, 8, 0.25)], [3, 7]);
  assert.deepEqual([...failingIndexes(0, 5, 0)], []);
  assert.deepEqual([...failingIndexes(10, 3, 1)], [10, 11, 12]);
});

function get(base: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    request(new URL(path, base), { headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

test('deepend fleet console off loopback prints a generated token once and requires it', {
  timeout: 300_000,
}, async (t) => {
  const broker = await startAedesBroker(t);
  const cli = fleetCli(t, broker.url, 'console-cli');
  const run = cli.start(['console', '--host', '0.0.0.0', '--port', '0']);
  t.after(() => run.kill('SIGKILL'));
  await eventually(run.stderr, /Ctrl-C stops the console/, 180_000);
  const printed =
    /deepend console for fleet console-cli on mqtt:\/\/127\.0\.0\.1:\d+: http:\/\/([^:/]+):(\d+)\/\n/.exec(
      run.stderr(),
    );
  assert.ok(printed, run.stderr());
  assert.equal(printed[1], hostname(), 'bound to every address, the URL names this machine');
  const token = /^token \(printed once; open http:\/\/[^:/]+:\d+\/#token=(\S+)\): (\S+)$/m.exec(run.stderr());
  assert.ok(token && token[1] === token[2], run.stderr());
  assert.equal(run.stderr().split(token[2]).length - 1, 2, 'the token is printed on one line only');
  const base = `http://127.0.0.1:${printed[2]}/`;
  assert.equal(await get(base, '/'), 200, 'the page itself holds no secret');
  assert.equal(await get(base, '/api/state'), 403);
  assert.equal(await get(base, '/api/state', { Authorization: `Bearer ${token[2]}` }), 200);
  run.kill('SIGINT');
  const done = await run.done;
  assert.equal(done.code, 0, done.stderr);
});

test('deepend fleet console and simulate reject bad options with one usage line and exit 2', {
  timeout: 300_000,
}, async (t) => {
  const cli = fleetCli(t, 'mqtt://127.0.0.1:1', 'x');
  const cases: [string[], string][] = [
    [['console', '--port', '70000'], 'deepend fleet: --port must be at most 65535, got 70000\n'],
    [['console', '--port', 'http'], "deepend fleet: --port must be a whole number, got 'http'\n"],
    [['console', '--host'], 'deepend fleet: --host needs a value\n'],
    [['console', '--token-file', '/nonexistent/token'], 'deepend fleet: --token-file /nonexistent/token: ENOENT\n'],
    [['console', 'extra'], "deepend fleet: unexpected argument 'extra'\n"],
    [['simulate'], 'deepend fleet: --devices is required\n'],
    [['simulate', '--devices', '0'], 'deepend fleet: --devices must be at least 1, got 0\n'],
    [['simulate', '--devices', '2', '--fail-rate', '2'], 'deepend fleet: --fail-rate must be at most 1, got 2\n'],
    [
      ['simulate', '--devices', '2', '--group', 'a b'],
      "deepend fleet: --group 'a b' is not a group name: use letters, digits, '.', '_' or '-'\n",
    ],
    [['simulate', '--devices', '2', '--fails', '1'], 'deepend fleet: unknown option --fails\n'],
  ];
  for (const [args, stderr] of cases) {
    const r = await cli.run(args);
    assert.deepEqual(
      { code: r.code, stdout: r.stdout, stderr: r.stderr },
      { code: 2, stdout: '', stderr },
      args.join(' '),
    );
  }
});

test("a rollout's retained message becomes the console's rollout document: every wave, sent or not, its counts and gains, why it stopped", () => {
  const device = (name: string, batch: number, over: Partial<RolloutDevice>): RolloutDevice => ({
    device: name,
    batch,
    status: 'planned',
    depth: null,
    jobId: null,
    reason: null,
    jobStatus: null,
    accuracyBefore: null,
    accuracyAfter: null,
    rollback: null,
    ...over,
  });
  const done = (before: number, after: number): Partial<RolloutDevice> => ({
    status: 'succeeded',
    jobStatus: 'succeeded',
    depth: 4,
    accuracyBefore: before,
    accuracyAfter: after,
  });
  const record: RolloutRecord = {
    id: 'r-20261203091500-ab12',
    params: {
      ...WAVE_DEFAULTS,
      fleet: 'f',
      group: 'lab',
      toDepth: 4,
      method: null,
      canaryPct: 0,
      batchPct: 0,
      maxFailuresPct: 0,
      wavesPct: [25, 50, 100],
      maxLoss: 0.5,
    },
    status: 'stopped',
    hasCanary: false,
    batchCount: 3,
    currentBatch: 1,
    groupPublished: false,
    nextBatchAt: null,
    stop: { batch: 1, rule: 'max-loss', why: 'c lost 1.00 points (limit 0.5)' },
    paused: null,
    lostAtPlan: [{ device: 'e', state: 'lost', since: null }],
    createdAt: '2026-12-03T09:15:00.000Z',
    updatedAt: '2026-12-03T09:16:00.000Z',
    devices: [
      device('a', 0, done(0.9, 0.91)),
      device('b', 1, done(0.9, 0.905)),
      device('c', 1, done(0.9, 0.89)),
      device('d', 1, { status: 'failed', jobStatus: 'rejected', reason: 'gate' }),
      device('e', 2, {}),
      device('f', 2, {}),
    ],
  };
  const doc = rolloutDoc(rolloutMessage(record));
  assert.equal(doc.unit, 'wave');
  assert.equal(doc.status, 'stopped');
  assert.deepEqual(doc.stop, { label: '2', rule: 'max-loss', why: 'c lost 1.00 points (limit 0.5)' });
  assert.deepEqual(doc.totals, { succeeded: 3, rejected: 1, failed: 0, pending: 0, notSent: 2 });
  assert.deepEqual(
    doc.waves.map((w) => [w.label, w.pct, w.sent, w.devices, w.succeeded, w.rejected, w.pending]),
    [
      ['1', 25, true, 1, 1, 0, 0],
      ['2', 50, true, 3, 2, 1, 0],
      ['3', 100, false, 2, 0, 0, 2],
    ],
  );
  assert.ok(Math.abs(doc.waves[1].medianGain! - -0.25) < 1e-9, String(doc.waves[1].medianGain));
  assert.equal(doc.waves[1].worst?.device, 'c');
  assert.equal(doc.waves[2].medianGain, null);
  assert.deepEqual(doc.lostAtPlan, [{ device: 'e', state: 'lost', since: null }]);
});
