// The default upgrade through a real daemon: `deepend start` on a fresh home with the default policy (the shipped
// model, the shipped digits), predictions at a fixed rate throughout. The automatic upgrade at start is recorded,
// then `--jobs` manual upgrades (POST /deepen, what `deepend deepen` sends), each after a rollback to v1, so that
// every job grows the shipped depth-2 model under the default rule's budget and gate.
//
//   node dist/scripts/bench-daemon-upgrades.js [-- --jobs 10 --rate 20]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../src/daemon/control-client';
import { steadyPredictions, waitForJobEnd, type EndedJob } from './lib/daemon-load';
import { DaemonProcess } from './lib/daemon-process';
import { option, printTable, writeResults } from './lib/table';

interface Row {
  job: string;
  trigger: string;
  state: string;
  accuracyBefore: number | null;
  accuracyAfter: number | null;
  gainPoints: number | null;
  lowerBoundPoints: number | null;
  seconds: number;
  reason: string | null;
}

const JOBS = Number(option('jobs', 'BENCH_JOBS', '10'));
const RATE = Number(option('rate', 'BENCH_RATE', '20'));

function rowOf(job: EndedJob): Row {
  const r = job.result ?? {};
  const num = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : null);
  const before = num('accuracyBefore');
  const after = num('accuracyAfter');
  return {
    job: job.id,
    trigger: job.trigger,
    state: job.state,
    accuracyBefore: before,
    accuracyAfter: after,
    gainPoints: before !== null && after !== null ? (after - before) * 100 : null,
    lowerBoundPoints: num('lowerBound') !== null ? num('lowerBound')! * 100 : null,
    seconds: job.endedAt ? (Date.parse(job.endedAt) - Date.parse(job.createdAt)) / 1000 : 0,
    reason: job.reason,
  };
}

/** Upgrade jobs the daemon started by itself (the automatic one at start and its retries), oldest first. */
async function automaticJobs(client: ControlClient): Promise<EndedJob[]> {
  for (;;) {
    const { jobs } = await client.ok<{ jobs: EndedJob[] }>('GET', '/jobs');
    const auto = jobs.filter((j) => j.trigger === 'automatic');
    if (auto.length > 0 && auto.every((j) => j.endedAt !== null)) {
      // a rejected automatic upgrade is retried a moment after it ends
      await new Promise((r) => setTimeout(r, 3000));
      const again = (await client.ok<{ jobs: EndedJob[] }>('GET', '/jobs')).jobs.filter(
        (j) => j.trigger === 'automatic',
      );
      if (again.length === auto.length && again.every((j) => j.endedAt !== null))
        return again.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)}%`);
const pts = (x: number | null) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(2)}`);

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'deepend-bench-upgrades-'));
  const home = join(root, 'home');
  const daemon = new DaemonProcess(
    [],
    {
      DEEPEND_HOME: home,
      DEEPEND_HTTP_PORT: '0',
      DEEPEND_MQTT_EMBEDDED_PORT: '0',
      DEEPEND_DEVICE_ID: 'bench-upgrades',
    },
    { shippedFlags: true },
  );
  try {
    const url = await daemon.running(120_000);
    const client = new ControlClient(home);
    const load = steadyPredictions(url, RATE);
    const rows: Row[] = (await automaticJobs(client)).map(rowOf);
    for (const r of rows) process.stderr.write(`automatic ${r.job}: ${r.state} ${pts(r.gainPoints)}\n`);
    for (let i = 1; i <= JOBS; i++) {
      const { name, serving } = await client.ok<{ name: string; serving: number | null }>('GET', '/models');
      if (serving !== 1) await client.ok('POST', '/rollback', { version: 1 });
      const { job } = await client.ok<{ job: { id: string } }>('POST', '/deepen', {});
      const row = rowOf(await waitForJobEnd(client, job.id));
      rows.push(row);
      process.stderr.write(`deepen ${i}/${JOBS} (${name}): ${row.state} ${pts(row.gainPoints)}\n`);
    }
    load.stop();
    printTable(
      ['job', 'trigger', 'state', 'before', 'after', 'gain (pts)', '95% lower bound', 's'],
      rows.map((r) => [
        r.job,
        r.trigger,
        r.state,
        pct(r.accuracyBefore),
        pct(r.accuracyAfter),
        pts(r.gainPoints),
        pts(r.lowerBoundPoints),
        Math.round(r.seconds),
      ]),
    );
    const manual = rows.filter((r) => r.trigger === 'manual');
    const committed = manual.filter((r) => r.state === 'succeeded').length;
    const gains = manual.flatMap((r) => (r.gainPoints !== null ? [r.gainPoints] : []));
    const meanGain = gains.reduce((a, b) => a + b, 0) / Math.max(1, gains.length);
    console.log(
      `\ndeepen jobs committed: ${committed} of ${manual.length}; mean held-out gain ${pts(meanGain)} points; ` +
        `predictions answered ${load.counts.ok}, failed ${load.counts.failed}`,
    );
    for (const r of rows.filter((x) => x.state !== 'succeeded')) console.log(`  ${r.job} ${r.state}: ${r.reason}`);
    const path = writeResults('daemon-upgrades', {
      jobs: rows,
      committed,
      of: manual.length,
      meanGainPoints: meanGain,
      predictions: load.counts,
    });
    console.log(`wrote ${path}`);
  } finally {
    await daemon.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});
