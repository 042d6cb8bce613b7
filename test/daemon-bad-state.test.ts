import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli';
import { testHome } from './helpers/daemon';

function digest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

test('a corrupt database: start exits non-zero with one line and leaves the file untouched', {
  timeout: 180_000,
}, async (t) => {
  const h = testHome(t);
  mkdirSync(h.home, { recursive: true });
  const db = join(h.home, 'deepend.db');
  // a SQLite header on pages of noise: looks like a database, is not one
  const noise = Buffer.alloc(16384);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) % 251;
  Buffer.from('SQLite format 3\0', 'latin1').copy(noise);
  writeFileSync(db, noise);
  const before = digest(db);
  const run = await runCli(['start'], { env: h.env, timeoutMs: 180_000 });
  assert.notEqual(run.code, 0);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /^deepend start: .*deepend\.db.*/);
  assert.equal(digest(db), before);
  assert.ok(!existsSync(join(h.home, 'control.sock')));
  assert.ok(!existsSync(join(h.home, 'models')), 'nothing was imported next to a database that cannot be read');
});

test('a truncated database file is refused the same way', { timeout: 180_000 }, async (t) => {
  const h = testHome(t);
  mkdirSync(h.home, { recursive: true });
  const db = join(h.home, 'deepend.db');
  writeFileSync(db, 'SQLite');
  const run = await runCli(['start'], { env: h.env, timeoutMs: 180_000 });
  assert.notEqual(run.code, 0);
  assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
  assert.match(run.stderr, /deepend\.db/);
  assert.equal(readFileSync(db, 'utf8'), 'SQLite');
});

test('client commands without a daemon say so in one line', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'deepend-nodaemon-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  for (const args of [['status'], ['jobs'], ['models'], ['rollback'], ['deepen', '--wait']]) {
    const run = await runCli(args, { env: { DEEPEND_HOME: home } });
    assert.equal(run.code, 1, args.join(' '));
    assert.equal(
      run.stderr,
      `deepend ${args[0]}: no daemon running at ${home} (control.sock missing); hint: start it with \`deepend start\`, or point --home (DEEPEND_HOME) at its home directory\n`,
    );
    assert.equal(run.stdout, '');
  }
});

test('a bad policy file stops the start with each of its problems at file:line: field', {
  timeout: 180_000,
}, async (t) => {
  const h = testHome(t);
  writeFileSync(h.policy, 'rules:\n  - name: x\n    targetDepth: deep\n');
  const run = await runCli(['start'], { env: h.env, timeoutMs: 180_000 });
  assert.equal(run.code, 1);
  const lines = run.stderr.trimEnd().split('\n');
  const at = new RegExp(
    `^deepend start: ${h.policy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+): (rules\\[0\\]\\.\\w+): `,
  );
  const fields = lines.map((l) => at.exec(l)?.slice(1, 3).join(' ') ?? `not file:line: field: ${l}`);
  assert.ok(fields.includes('3 rules[0].targetDepth'), run.stderr);
  assert.ok(fields.includes('2 rules[0].gate'), run.stderr);
  assert.equal(fields.filter((f) => f.startsWith('not ')).length, 0, run.stderr);
});

test('`deepend start` with a bad config prints one line per mistake, each at file:line, and exits 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'deepend-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const home = join(dir, 'home');
  mkdirSync(home);
  writeFileSync(join(home, 'config.yaml'), 'http:\n  port: -1\n');
  const run = await runCli(['start'], { env: { DEEPEND_HOME: home } });
  assert.equal(run.code, 1);
  assert.equal(run.stderr, `deepend start: ${join(home, 'config.yaml')}:2: http.port: must be >= 0, got -1\n`);
  const envRun = await runCli(['start', '--config', join(dir, 'none.yaml')], { env: { DEEPEND_HOME: home } });
  assert.equal(envRun.code, 1);
  assert.equal(envRun.stderr, `deepend start: ${join(dir, 'none.yaml')}: file: cannot read: no such file\n`);
  // Several mistakes: every one, each on its own line at file:line.
  const file = join(home, 'config.yaml');
  writeFileSync(file, 'http:\n  port: -1\nmqtt:\n  protocolVersion: 7\nbogus: 1\n');
  const several = await runCli(['start'], { env: { DEEPEND_HOME: home } });
  assert.equal(several.code, 1);
  const fieldAt = (l: string) => /^deepend start: (.*):(\d+): ([\w.]+): ./.exec(l)?.slice(1).join(' ') ?? l;
  assert.deepEqual(
    several.stderr.trimEnd().split('\n').map(fieldAt),
    [`${file} 2 http.port`, `${file} 4 mqtt.protocolVersion`, `${file} 5 bogus`],
    several.stderr,
  );
  const port = await runCli(['status'], { env: { DEEPEND_HOME: dir, DEEPEND_HTTP_PORT: 'x' } });
  assert.equal(port.code, 1);
  assert.equal(port.stderr, 'deepend status: DEEPEND_HTTP_PORT=x: http.port: must be a whole number, got "x"\n');
});

test('a config naming files that are not there: start exits 1 with one line per mistake at file:line, writing nothing', {
  timeout: 180_000,
}, async (t) => {
  const h = testHome(t);
  const config = join(mkdtempSync(join(tmpdir(), 'deepend-config-')), 'config.yaml');
  t.after(() => rmSync(join(config, '..'), { recursive: true, force: true }));
  writeFileSync(config, ['model:', '  path: ./digits.keras', 'mqtt:', '  key: ./client.key', ''].join('\n'));
  const env = { ...h.env, DEEPEND_POLICY: join(h.home, '..', 'gone.yaml') };
  const run = await runCli(['start', '--config', config], { env, timeoutMs: 180_000 });
  assert.equal(run.code, 1, run.stderr);
  assert.deepEqual(run.stderr.trimEnd().split('\n'), [
    `deepend start: ${config}:2: model.path: ${join(config, '..', 'digits.keras')}: not found`,
    `deepend start: ${config}:4: mqtt.key: cannot read ${join(config, '..', 'client.key')}: no such file`,
    `deepend start: ${config}:4: mqtt.key: mqtt.cert is missing: a client certificate needs both mqtt.cert and mqtt.key`,
    `deepend start: DEEPEND_POLICY=${join(h.home, '..', 'gone.yaml')}: policy: cannot read ${join(h.home, '..', 'gone.yaml')}: no such file`,
  ]);
  assert.ok(!existsSync(h.home), 'no home was made');
});
