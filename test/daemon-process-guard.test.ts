import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const GUARD = join(__dirname, '../src/daemon/process-guard.js');
const LOG = join(__dirname, '../src/util/log.js');

/** Runs a script in a child process with the guards installed; `stop` prints what it was asked and ends the process. */
function guarded(body: string) {
  const script = `
    const { installProcessGuards } = require(${JSON.stringify(GUARD)});
    const { createLogger } = require(${JSON.stringify(LOG)});
    installProcessGuards({ log: createLogger({ json: true }), stop: (reason, code) => {
      console.log(JSON.stringify({ stop: reason, code }));
      setTimeout(() => process.exit(code), 10);
    } });
    setInterval(() => {}, 1000);
    ${body}`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 180_000 });
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, lines };
}

test('an uncaught exception is logged and stops the daemon gracefully with exit 1', () => {
  const r = guarded(`setTimeout(() => { throw new Error('boom'); }, 10);`);
  assert.equal(r.status, 1);
  assert.equal(r.lines[0].msg, 'uncaught exception');
  assert.equal(r.lines[0].error, 'boom');
  assert.deepEqual(r.lines[1], { stop: 'uncaught exception', code: 1 });
});

test('an unhandled rejection does the same', () => {
  const r = guarded(`setTimeout(() => Promise.reject(new Error('nope')), 10);`);
  assert.equal(r.status, 1);
  assert.equal(r.lines[0].msg, 'unhandled rejection');
  assert.deepEqual(r.lines[1], { stop: 'unhandled rejection', code: 1 });
});

test('SIGTERM stops with exit 0', () => {
  const r = guarded(`setTimeout(() => process.kill(process.pid, 'SIGTERM'), 10);`);
  assert.equal(r.status, 0);
  assert.deepEqual(r.lines[0], { stop: 'SIGTERM', code: 0 });
});
