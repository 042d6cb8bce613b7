import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeependError, ERROR_CODES, HttpError } from '../src/util/deepend-error';
import { renderError } from '../src/util/error-render';
import { UsageError } from '../src/cli-kit/args';
import { ConfigError } from '../src/config/errors';
import { PolicyError } from '../src/policy/errors';
import { DataError } from '../src/data/errors';
import { StoreError } from '../src/store/errors';
import { AbortedError, DivergedError } from '../src/train/progress';
import { ControlCallError, NoDaemonError } from '../src/daemon/control-client';

const REPO = join(__dirname, '..', '..');

test('every error class is a DeependError with its code, exit code and HTTP status', () => {
  const cases: [unknown, string, number, number][] = [
    [new UsageError('--to-depth: must be a whole number, got abc'), 'usage', 2, 400],
    [
      new ConfigError([{ source: '/c.yaml', line: 2, field: 'http.port', message: 'must be >= 0, got -1' }]),
      'config',
      1,
      400,
    ],
    [
      new PolicyError([{ file: '/p.yaml', line: 9, field: 'rules[0].method', message: 'must be one of dils' }]),
      'policy',
      1,
      400,
    ],
    [new DataError('/data', 'no images found'), 'data', 1, 400],
    [new StoreError('/home/deepend.db', 'is corrupt'), 'store', 1, 500],
    [new AbortedError(), 'aborted', 130, 409],
    [new DivergedError('stage2', 0, 3), 'diverged', 1, 500],
    [new NoDaemonError('/h', 'control.sock missing'), 'no-daemon', 1, 503],
    [new HttpError(413, 'request body is larger than the limit'), 'too-large', 1, 413],
    [new HttpError(503, 'model default has no version loaded yet', { 'retry-after': '1' }), 'unavailable', 1, 503],
    [new Error('something broke\n    at a stack line'), 'internal', 1, 500],
    ['a thrown string', 'internal', 1, 500],
  ];
  for (const [err, code, exitCode, httpStatus] of cases) {
    const shown = renderError(err);
    assert.equal(shown.code, code, String(err));
    assert.equal(shown.exitCode, exitCode, code);
    assert.equal(shown.httpStatus, httpStatus, code);
    assert.equal(shown.body.code, code);
    for (const line of shown.lines) assert.ok(!line.includes('\n'), line);
  }
  assert.deepEqual(renderError(new Error('first\nsecond')).lines, ['first']);
  assert.deepEqual(renderError(new HttpError(503, 'not yet', { 'retry-after': '1' })).headers, { 'retry-after': '1' });
});

test('a config or policy error shows every problem, one line each; a hint ends the last line', () => {
  const config = new ConfigError([
    { source: '/c.yaml', line: 2, field: 'http.port', message: 'must be >= 0, got -1' },
    { source: '/c.yaml', line: 5, field: 'log.level', message: "must be one of debug, info, warn, error, got 'loud'" },
  ]);
  assert.deepEqual(renderError(config).lines, [
    '/c.yaml:2: http.port: must be >= 0, got -1',
    "/c.yaml:5: log.level: must be one of debug, info, warn, error, got 'loud'",
  ]);
  assert.equal(config.message, '/c.yaml:2: http.port: must be >= 0, got -1 (and 1 more)');
  const hinted = new DeependError('conflict', 'a daemon is already running at /h\n(control.sock answers)', {
    hint: 'stop the other one',
  });
  assert.equal(hinted.message, 'a daemon is already running at /h (control.sock answers)');
  assert.deepEqual(renderError(hinted).lines, [
    'a daemon is already running at /h (control.sock answers); hint: stop the other one',
  ]);
  assert.deepEqual(renderError(hinted).body, {
    error: 'a daemon is already running at /h (control.sock answers)',
    code: 'conflict',
    hint: 'stop the other one',
  });
});

test("a control-socket answer keeps the daemon's code and hint on the client", () => {
  const err = new ControlCallError(409, { error: 'job j1 is growing: one job at a time', code: 'conflict', job: {} });
  assert.equal(err.code, 'conflict');
  assert.equal(renderError(err).exitCode, 1);
  const usage = new ControlCallError(400, { error: 'method must be one of dils, ...', code: 'usage' });
  assert.equal(renderError(usage).exitCode, 2);
  // an answer without a code (an older daemon) is known by its status
  assert.equal(new ControlCallError(404, { error: 'no job x' }).code, 'not-found');
  assert.equal(new ControlCallError(409, { error: 'x', code: 'no-such-code' }).code, 'conflict');
});

test('docs/guides/troubleshooting.md lists every error code with its exit code and HTTP status', () => {
  const text = readFileSync(join(REPO, 'docs', 'guides', 'troubleshooting.md'), 'utf8');
  const rows = new Map<string, [number, number]>();
  for (const m of text.matchAll(/^\| `([a-z-]+)` \| (\d+) \| (\d+) \|/gm)) rows.set(m[1], [Number(m[2]), Number(m[3])]);
  const expected = new Map(
    Object.entries(ERROR_CODES).map(([code, c]) => [code, [c.exitCode, c.httpStatus] as [number, number]]),
  );
  assert.deepEqual(rows, expected);
});
