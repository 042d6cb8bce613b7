import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { START_STAGES } from '../src/daemon/start-stages';
import { openStore } from '../src/store';
import { readCurrent, verifyModelDir } from '../src/store/model-dirs';
import { DaemonProcess, predictZeros, testHome } from './helpers/daemon';

// The daemon's shutdown grace here, and the bound on a stop seen from outside: loading TF.js (start:load) on a
// machine busy with parallel test files takes tens of seconds, an idle one about one.
const GRACE_SECONDS = 60;

/** Resolves once the daemon wrote its pause line for `point` on stderr. */
async function paused(d: DaemonProcess, point: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void d.exited.then(() => (exited = true));
  while (!d.stderr.includes(`DEEPEND_PAUSE_AT=${point}: paused`)) {
    if (exited) throw new Error(`the daemon exited before pausing at ${point}: ${d.stderr}`);
    if (Date.now() > deadline) throw new Error(`no pause at ${point} after ${timeoutMs} ms: ${d.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What a stop must leave: a sound database, and files that agree with it. */
function assertConsistent(home: string): void {
  if (!existsSync(join(home, 'deepend.db'))) return;
  const db = new Database(join(home, 'deepend.db'), { readonly: true });
  try {
    assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
  } finally {
    db.close();
  }
  const store = openStore(home);
  try {
    const committed = store.committedVersion('default');
    if (committed) {
      verifyModelDir(committed.dir);
      assert.equal(readCurrent(home, 'default'), committed.version);
    }
    const active = store.activeJob();
    assert.ok(!active || (active.state === 'queued' && active.attempts >= 0), `a job left ${active?.state}`);
  } finally {
    store.close();
  }
}

// A signal at each start stage (held there by DEEPEND_PAUSE_AT, whose line
// proves where it hit) stops the daemon with exit 0, no socket left behind and
// a consistent home, within shutdown.graceSeconds.
test('SIGTERM or SIGINT at every start stage stops the daemon cleanly', { timeout: 900_000 }, async (t) => {
  let i = 0;
  for (const stage of START_STAGES) {
    const signal: NodeJS.Signals = i++ % 2 === 0 ? 'SIGTERM' : 'SIGINT';
    await t.test(`${signal} at start:${stage}`, async (tt) => {
      const h = testHome(tt);
      const d = new DaemonProcess([], {
        ...h.env,
        DEEPEND_PAUSE_AT: `start:${stage}`,
        DEEPEND_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
      });
      tt.after(() => d.kill());
      await paused(d, `start:${stage}`);
      const sent = Date.now();
      const exit = await d.stop(signal);
      const seconds = (Date.now() - sent) / 1000;
      assert.deepEqual(exit, { code: 0, signal: null }, d.stderr);
      assert.ok(seconds < GRACE_SECONDS, `stopped in ${seconds} s`);
      assert.ok(d.lines.some((l) => l.msg === 'deepend stopped' && l.exitCode === 0));
      assert.ok(!d.lines.some((l) => l.msg === 'deepend running'), 'the start did not go on after the signal');
      if (stage === 'load' || stage === 'config') {
        assert.ok(
          d.lines.some((l) => l.msg === 'deepend stopped' && l.stage === 'config'),
          'stopped before the daemon started',
        );
        assert.ok(!existsSync(join(h.home, 'deepend.db')), 'nothing was created');
      } else {
        assert.ok(
          d.lines.some((l) => l.msg === 'start interrupted' && l.stage === stage),
          `interrupted at ${stage}`,
        );
      }
      assert.ok(!existsSync(join(h.home, 'control.sock')), 'control.sock removed');
      assertConsistent(h.home);
      if (stage === 'model-files' || stage === 'recover') {
        // the home a signal interrupted starts and serves
        const again = new DaemonProcess([], h.env);
        tt.after(() => again.kill());
        const url = await again.running();
        assert.equal((await predictZeros(url)).status, 200);
        assert.deepEqual(await again.stop('SIGTERM'), { code: 0, signal: null });
        assertConsistent(h.home);
      }
    });
  }
});
