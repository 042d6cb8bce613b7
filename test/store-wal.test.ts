import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ControlClient } from '../src/daemon/control-client';
import type { DaemonStatus } from '../src/daemon/status';
import { openStore } from '../src/store';
import { walDamage } from '../src/store/wal-check';
import { runCli } from './helpers/cli';
import { DaemonProcess, predictZeros, testHome } from './helpers/daemon';
import { homeWithVersions } from './helpers/version-home';

/** A database and its WAL as a power cut leaves them: copied while the writer still has them open, nothing checkpointed. */
function uncleanCopy(t: { after(fn: () => void): void }): { db: string; wal: string; pageSize: number } {
  const dir = mkdtempSync(join(tmpdir(), 'deepend-wal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const live = new Database(join(dir, 'live.db'));
  live.pragma('journal_mode = WAL');
  live.pragma('wal_autocheckpoint = 0');
  live.exec('CREATE TABLE t (n INTEGER, pad TEXT)');
  const insert = live.prepare('INSERT INTO t VALUES (?, ?)');
  for (let i = 0; i < 5; i++) insert.run(i, 'x'.repeat(3000));
  const db = join(dir, 'copy.db');
  copyFileSync(join(dir, 'live.db'), db);
  copyFileSync(join(dir, 'live.db-wal'), `${db}-wal`);
  const pageSize = live.pragma('page_size', { simple: true }) as number;
  live.close();
  return { db, wal: `${db}-wal`, pageSize };
}

const rows = (db: string) => {
  const d = new Database(db);
  try {
    return (d.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number } | undefined)?.n ?? 0;
  } catch {
    return -1;
  } finally {
    d.close();
  }
};

test('walDamage tells a damaged WAL from an intact or merely torn one, as SQLite recovery then shows', (t) => {
  const intact = uncleanCopy(t);
  assert.equal(walDamage(intact.wal), undefined);
  assert.equal(rows(intact.db), 5);

  const torn = uncleanCopy(t);
  truncateSync(torn.wal, statSync(torn.wal).size - 100); // the last frame half-written: its transaction never committed
  assert.equal(walDamage(torn.wal), undefined);

  const mid = uncleanCopy(t);
  const bytes = readFileSync(mid.wal);
  bytes[32 + 24 + 100] ^= 0xff; // page data of the first frame
  writeFileSync(mid.wal, bytes);
  assert.match(
    walDamage(mid.wal)!,
    /^frame 1 \(byte 32\) is damaged and committed transactions after it were discarded$/,
  );
  assert.ok(rows(mid.db) < 5, 'SQLite dropped them without a word');

  const garbage = uncleanCopy(t);
  writeFileSync(garbage.wal, randomBytes(statSync(garbage.wal).size));
  assert.match(walDamage(garbage.wal)!, /^its header is not a WAL header: all \d+ bytes of it were discarded$/);
});

test('garbage in deepend.db-wal after an unclean stop: a warning, and the same versions, history and times', {
  timeout: 450_000,
}, async (t) => {
  const h = testHome(t);
  homeWithVersions(h.home, 3);
  let daemon = new DaemonProcess([], h.env);
  t.after(() => daemon.kill());
  await daemon.running(270_000);
  const back = await runCli(['rollback', '2'], { env: h.env });
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual(await daemon.stop('SIGKILL'), { code: null, signal: 'SIGKILL' });

  const snapshot = () => {
    const store = openStore(h.home);
    try {
      return {
        versions: store.modelVersions('default').map(({ version, parent, createdAt, committedAt, committed }) => ({
          version,
          parent,
          createdAt,
          committedAt,
          committed,
        })),
        rollbacks: store
          .jobs()
          .filter((j) => j.kind === 'rollback')
          .map((j) => [j.id, j.state]),
      };
    } finally {
      store.close();
    }
  };
  // what the database held, read from a copy so that the real files stay as the kill left them
  const copy = mkdtempSync(join(tmpdir(), 'deepend-wal-home-'));
  t.after(() => rmSync(copy, { recursive: true, force: true }));
  for (const f of ['deepend.db', 'deepend.db-wal']) {
    try {
      copyFileSync(join(h.home, f), join(copy, f));
    } catch {
      /* no WAL left: fine */
    }
  }
  const expected = (() => {
    const store = openStore(copy);
    try {
      return {
        versions: store.modelVersions('default').map(({ version, parent, createdAt, committedAt, committed }) => ({
          version,
          parent,
          createdAt,
          committedAt,
          committed,
        })),
        rollbacks: store
          .jobs()
          .filter((j) => j.kind === 'rollback')
          .map((j) => [j.id, j.state]),
      };
    } finally {
      store.close();
    }
  })();
  assert.equal(expected.versions.find((v) => v.committed)?.version, 2);
  assert.deepEqual(
    expected.rollbacks.map((r) => r[1]),
    ['succeeded'],
  );

  writeFileSync(join(h.home, 'deepend.db-wal'), randomBytes(64 * 1024));
  daemon = new DaemonProcess([], h.env);
  const url = await daemon.running(270_000);
  const warning = daemon.lines.find((l) => l.msg === 'the database write-ahead log was discarded');
  assert.ok(warning, 'the discarded WAL is a warning in the log');
  assert.match(String(warning.problem), /header is not a WAL header/);
  const s = await new ControlClient(h.home).ok<DaemonStatus>('GET', '/status');
  assert.match(s.store!.walDiscarded!, /deepend\.db-wal: its header is not a WAL header/);
  assert.equal((await predictZeros(url)).version, '2', 'the rollback, checkpointed when it committed, survived');
  assert.deepEqual(await daemon.stop('SIGTERM'), { code: 0, signal: null });
  assert.deepEqual(snapshot(), expected, 'the same versions, lineage, creation and commit times, and the rollback job');
});
