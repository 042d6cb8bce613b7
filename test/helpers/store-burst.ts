/**
 * Child process for test/store-crash.test.ts: writes jobs, transitions, outbox
 * messages and a setting as fast as it can until it is killed. Each unit of
 * work is one transaction; its sequence number is printed only after the
 * transaction returned, so every printed number must survive a SIGKILL.
 *
 * usage: node store-burst.js HOME
 */
import { writeSync } from 'node:fs';
import { openStore, JobState } from '../../src/store';

const PATH: JobState[] = ['planning', 'growing', 'growing', 'validating', 'swapping', 'succeeded'];

const store = openStore(process.argv[2]);
let seq = Number(store.getSetting('burst.seq') ?? '-1') + 1;

// a job left unfinished by the previous kill is recovered the way the daemon would
for (const job of store.unfinishedJobs()) {
  store.atomically(() => {
    store.recordAttempt(job.id);
    store.transition(job.id, 'failed', { reason: 'interrupted' });
  });
}

for (;;) {
  const job = store.createJob({ kind: 'upgrade', trigger: 'automatic', request: { burst: true } });
  for (const to of PATH) {
    store.atomically(() => {
      store.transition(job.id, to, { seq });
      store.enqueueOutbox(`burst/jobs/${job.id}`, { seq, jobId: job.id, state: to }, { retain: true });
      store.setSetting('burst.seq', String(seq));
    });
    writeSync(1, `${seq}\n`);
    seq++;
  }
}
