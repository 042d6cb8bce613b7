import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configEnvNames, loadConfig } from '../src/config';
import { DEFAULT_POLICY_FILE } from '../src/policy';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'deepend-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.lines;
  }
  assert.fail('expected a ConfigError');
}

test('defaults: no file, no variables', () => {
  const home = join(tmpdir(), 'deepend-config-none-here');
  const { config, file, fromEnv } = loadConfig({ env: { DEEPEND_HOME: home } });
  assert.equal(file, null);
  assert.deepEqual(fromEnv, ['DEEPEND_HOME']);
  assert.equal(config.home, home);
  assert.deepEqual(config.http, { host: '127.0.0.1', port: 8501, maxConnections: 256 });
  assert.equal(config.policy, DEFAULT_POLICY_FILE);
  assert.equal(config.fleet, 'default');
  assert.equal(config.data, 'mnist');
  assert.equal(config.model.name, 'default');
  assert.equal(config.mqtt.url, null);
  assert.equal(config.detect.cron, '*/10 * * * *');
  assert.equal(config.shutdown.graceSeconds, 30);
  assert.match(config.deviceId, /^[A-Za-z0-9][A-Za-z0-9._-]*$/);
  assert.equal(loadConfig({ env: {} }).config.home, join(homedir(), '.deepend'));
});

test('precedence: defaults < $DEEPEND_HOME/config.yaml < environment; paths relative to the file', (t) => {
  const home = tempDir(t);
  writeFileSync(
    join(home, 'config.yaml'),
    [
      'deviceId: from-file',
      'fleet: north',
      'http:',
      '  port: 9000',
      'policy: policies/mine.yaml',
      'groups: [a, b]',
      'detect: { cron: "0 * * * *" }',
      '',
    ].join('\n'),
  );
  const fromFile = loadConfig({ env: { DEEPEND_HOME: home } });
  assert.equal(fromFile.file, join(home, 'config.yaml'));
  assert.equal(fromFile.config.deviceId, 'from-file');
  assert.equal(fromFile.config.http.port, 9000);
  assert.equal(fromFile.config.http.host, '127.0.0.1', 'keys the file leaves out keep their defaults');
  assert.equal(fromFile.config.policy, join(home, 'policies/mine.yaml'));
  assert.deepEqual(fromFile.config.groups, ['a', 'b']);

  const env = {
    DEEPEND_HOME: home,
    DEEPEND_DEVICE_ID: 'from-env',
    DEEPEND_HTTP_PORT: '9100',
    DEEPEND_HTTP_HOST: '0.0.0.0',
    DEEPEND_POLICY: 'rel/p.yaml',
    DEEPEND_FLEET: 'south',
    DEEPEND_MQTT_URL: 'mqtt://broker:1883',
    DEEPEND_DATA: 'digits.csv',
    DEEPEND_MODEL_NAME: 'digits',
    DEEPEND_GROUPS: 'x, y',
    DEEPEND_DETECT_CRON: '*/5 * * * *',
    DEEPEND_SHUTDOWN_GRACE_SECONDS: '5',
  };
  const { config, fromEnv } = loadConfig({ env, cwd: '/srv' });
  assert.equal(config.deviceId, 'from-env');
  assert.deepEqual(config.http, { host: '0.0.0.0', port: 9100, maxConnections: 256 });
  assert.equal(config.policy, '/srv/rel/p.yaml', 'env paths are relative to the working directory');
  assert.equal(config.fleet, 'south');
  assert.equal(config.mqtt.url, 'mqtt://broker:1883');
  assert.equal(config.data, '/srv/digits.csv');
  assert.equal(config.model.name, 'digits');
  assert.deepEqual(config.groups, ['x', 'y']);
  assert.equal(config.detect.cron, '*/5 * * * *');
  assert.equal(config.shutdown.graceSeconds, 5);
  assert.deepEqual(
    problemsOf(() => loadConfig({ env: { DEEPEND_HOME: home, DEEPEND_SHUTDOWN_GRACE_SECONDS: '0' } })),
    ['DEEPEND_SHUTDOWN_GRACE_SECONDS=0: shutdown.graceSeconds: must be >= 1, got 0'],
  );
  assert.equal(loadConfig({ env: { DEEPEND_HOME: home } }).config.log.level, 'info');
  assert.equal(loadConfig({ env: { DEEPEND_HOME: home, DEEPEND_LOG_LEVEL: 'debug' } }).config.log.level, 'debug');
  assert.match(
    problemsOf(() => loadConfig({ env: { DEEPEND_HOME: home, DEEPEND_LOG_LEVEL: 'loud' } })).join('\n'),
    /^DEEPEND_LOG_LEVEL=loud: log\.level: /,
  );
  assert.equal(fromEnv.length, Object.keys(env).length);
  assert.equal(
    loadConfig({ env: { ...env, DEEPEND_FLEET: '' } }).config.fleet,
    'north',
    'an empty variable counts as unset',
  );
});

test('--config FILE is read instead of the home one, and may set home', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'deepend.yaml');
  writeFileSync(file, 'home: ./state\nhttp: { port: 8600 }\n');
  const { config } = loadConfig({ file, env: {} });
  assert.equal(config.home, join(dir, 'state'));
  assert.equal(config.http.port, 8600);
  assert.equal(loadConfig({ file, env: { DEEPEND_HOME: '/elsewhere' } }).config.home, '/elsewhere');
});

test('every key has its variable', () => {
  const names = configEnvNames().map((e) => e.env);
  for (const n of [
    'DEEPEND_HOME',
    'DEEPEND_HTTP_PORT',
    'DEEPEND_HTTP_HOST',
    'DEEPEND_POLICY',
    'DEEPEND_DEVICE_ID',
    'DEEPEND_FLEET',
    'DEEPEND_MQTT_URL',
    'DEEPEND_DATA',
    'DEEPEND_MODEL_NAME',
  ]) {
    assert.ok(names.includes(n), n);
  }
});

test('file problems name file:line: field, all of them, unknown keys included', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'bad.yaml');
  writeFileSync(
    file,
    [
      'fleet: north',
      'http:',
      '  port: 99999',
      '  hots: x',
      'deviceId: a/b',
      'detect:',
      '  cron: every minute',
      'colour: blue',
      '',
    ].join('\n'),
  );
  const lines = problemsOf(() => loadConfig({ file, env: {} }));
  assert.deepEqual(lines, [
    `${file}:3: http.port: must be <= 65535, got 99999`,
    `${file}:4: http.hots: unknown key (allowed: host, port, maxConnections)`,
    `${file}:5: deviceId: must be letters, digits, ".", "_" or "-" (it is part of MQTT topics), got "a/b"`,
    `${file}:7: detect.cron: 'every minute' is not a cron expression; use [second] minute hour day-of-month month day-of-week`,
    `${file}:8: colour: unknown key (allowed: home, deviceId, fleet, http, policy, model, data, dataLimit, growthNice, mqtt, groups, detect, memory, retention, shutdown, log)`,
  ]);
  writeFileSync(file, 'http: [1\n');
  assert.match(problemsOf(() => loadConfig({ file, env: {} }))[0], new RegExp(`^${file}:\\d+: yaml: `));
  writeFileSync(file, '- a list\n');
  assert.deepEqual(
    problemsOf(() => loadConfig({ file, env: {} })),
    [`${file}:1: config: must be a mapping, got a list`],
  );
  assert.deepEqual(
    problemsOf(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })),
    [`${join(dir, 'missing.yaml')}: file: cannot read: no such file`],
  );
});

test("the daemon's check of the files its config names: every problem at once, where it was set; defaults unchecked", (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'config.yaml');
  writeFileSync(join(dir, 'policy.yaml'), 'rules: []\n');
  writeFileSync(
    file,
    ['policy: ./no-policy.yaml', 'model:', '  path: ./missing.keras', 'mqtt:', '  cert: ./client.crt', ''].join('\n'),
  );
  const env = { DEEPEND_MQTT_CA: join(dir, 'ca.pem') };
  assert.deepEqual(
    problemsOf(() => loadConfig({ file, env, checkFiles: true })),
    [
      `${file}:1: policy: cannot read ${join(dir, 'no-policy.yaml')}: no such file`,
      `${file}:3: model.path: ${join(dir, 'missing.keras')}: not found`,
      `${file}:5: mqtt.cert: cannot read ${join(dir, 'client.crt')}: no such file`,
      `${file}:5: mqtt.cert: mqtt.key is missing: a client certificate needs both mqtt.cert and mqtt.key`,
      `DEEPEND_MQTT_CA=${join(dir, 'ca.pem')}: mqtt.ca: cannot read ${join(dir, 'ca.pem')}: no such file`,
    ],
  );
  // the CLI's commands load the same config without the daemon's files
  assert.equal(loadConfig({ file, env }).config.model.path, join(dir, 'missing.keras'));
  writeFileSync(file, 'policy: ./policy.yaml\n');
  assert.equal(loadConfig({ file, env: {}, checkFiles: true }).config.policy, join(dir, 'policy.yaml'));
  assert.equal(loadConfig({ env: { DEEPEND_HOME: dir }, checkFiles: true }).file, file);
});

test('variable problems name the variable and the key', () => {
  assert.deepEqual(
    problemsOf(() => loadConfig({ env: { DEEPEND_HOME: '/nonexistent-home', DEEPEND_HTTP_PORT: 'eighty' } })),
    ['DEEPEND_HTTP_PORT=eighty: http.port: must be a whole number, got "eighty"'],
  );
  assert.deepEqual(
    problemsOf(() => loadConfig({ env: { DEEPEND_HOME: '/nonexistent-home', DEEPEND_MQTT_URL: 'broker:1883' } })),
    [
      'DEEPEND_MQTT_URL=broker:1883: mqtt.url: must be a URL starting with mqtt://, mqtts://, ws://, wss://, tcp:// or tls://, got "broker:1883"',
    ],
  );
  assert.deepEqual(
    problemsOf(() => loadConfig({ env: { DEEPEND_HOME: '/nonexistent-home', DEEPEND_DETECT_CRON: '61 * * * *' } })),
    [
      "DEEPEND_DETECT_CRON=61 * * * *: detect.cron: '61 * * * *' is not a cron expression; use [second] minute hour day-of-month month day-of-week",
    ],
  );
});
