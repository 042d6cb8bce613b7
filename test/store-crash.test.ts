import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE, isTerminal, JobState, openStore } from '../src/store';
import { tempHome } from './helpers/store-fixtures';

const BURST = join(__dirname, 'helpers', 'store-burst.js');

/** Runs the burst writer until it has acknowledged `atLeast` more units, then SIGKILLs it. Returns the last acknowledged seq. */
function burstThenKill(home: string, atLeast: number): Promise<{ lastAck: number; walAtKill: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BURST, home], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let acked = 0;
    let lastAck = -1;
    let stderr = '';
    let walAtKill = false;
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        lastAck = Number(line);
        acked++;
      }
      if (acked >= atLeast && child.exitCode === null && !child.killed) {
        walAtKill = existsSync(join(home, `${DB_FILE}-wal`));
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`burst writer ended by itself (code ${code}): ${stderr}`));
      else resolve({ lastAck, walAtKill });
    });
  });
}

/** Everything the database must satisfy after any crash. */
function assertConsistent(home: string, lastAck: number): void {
  const db = new Database(join(home, DB_FILE), { readonly: true });
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(db.pragma('foreign_key_check'), []);
    const seqs = (
      db.prepare(`SELECT json_extract(payload, '$.seq') AS seq FROM outbox ORDER BY id`).all() as { seq: number }[]
    ).map((r) => r.seq);
    assert.ok(
      seqs.length >= lastAck + 1,
      `acknowledged work lost: ${seqs.length} messages, last acknowledged seq ${lastAck}`,
    );
    seqs.forEach((s, i) => {
      assert.equal(s, i, `outbox out of order or with a gap at position ${i}`);
    });
    const setting = db.prepare(`SELECT value FROM settings WHERE key = 'burst.seq'`).pluck().get();
    assert.equal(
      Number(setting),
      seqs.length - 1,
      'the setting written in the same transaction disagrees with the outbox',
    );

    const jobs = db.prepare(`SELECT id, state FROM jobs`).all() as { id: string; state: JobState }[];
    const history = db.prepare(`SELECT seq, from_state, to_state FROM job_transitions WHERE job_id = ? ORDER BY seq`);
    const messages = db.prepare(`SELECT count(*) FROM outbox WHERE json_extract(payload, '$.jobId') = ?`).pluck();
    let unfinished = 0;
    for (const job of jobs) {
      const rows = history.all(job.id) as { seq: number; from_state: JobState | null; to_state: JobState }[];
      rows.forEach((r, i) => {
        assert.equal(r.seq, i + 1, `job ${job.id}: transition numbers have a gap`);
        assert.equal(r.from_state, i === 0 ? null : rows[i - 1].to_state, `job ${job.id}: history does not chain`);
      });
      assert.equal(
        rows[rows.length - 1].to_state,
        job.state,
        `job ${job.id}: state disagrees with its last transition`,
      );
      assert.ok(rows.filter((r) => isTerminal(r.to_state)).length <= 1, `job ${job.id}: more than one terminal state`);
      const burstTransitions = rows.filter((r) => r.from_state !== null && r.to_state !== 'failed').length;
      assert.equal(
        messages.get(job.id),
        burstTransitions,
        `job ${job.id}: transitions and their outbox messages disagree`,
      );
      if (!isTerminal(job.state)) unfinished++;
    }
    assert.ok(unfinished <= 1, `${unfinished} unfinished jobs: only the one in flight may be`);
  } finally {
    db.close();
  }
}

test('SIGKILL in the middle of a burst of transactions: nothing acknowledged is lost, nothing is half written', async (t) => {
  const home = tempHome(t, 'deepend-crash-');
  openStore(home).close();
  for (let round = 0; round < 3; round++) {
    const { lastAck, walAtKill } = await burstThenKill(home, 150 + round * 97);
    assert.ok(walAtKill, 'the writer should have been killed with a live WAL');
    assertConsistent(home, lastAck);
  }
  // the next start recovers the job that was in flight, through the store, to exactly one ending
  const store = openStore(home);
  t.after(() => store.close());
  for (const job of store.unfinishedJobs()) store.transition(job.id, 'failed', { reason: 'interrupted' });
  assert.equal(store.activeJob(), undefined);
  const ended = store.jobs(1000);
  assert.ok(ended.length > 50);
  for (const job of ended) assert.equal(store.transitions(job.id).filter((tr) => isTerminal(tr.to)).length, 1);
});
