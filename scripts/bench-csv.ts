// npm run bench:csv [-- --reps 3 --label TEXT]
// The cost of loading a CSV data set with loadCsv (src/data/csv.ts): seeded tables of 6,000 rows x 12 features (the
// size of bench:growth's table) and 200,000 rows x 32 features, written to a temp folder, each loaded `reps` times,
// every load in a fresh child process so that its peak RSS is its own. Reports the median seconds of the load and
// the median peak RSS of the process. Uses only loadCsv, so the same file measures any commit's CSV parsing.
// Prints a table and writes bench-results/csv.json.
import { mulberry32 } from '../src/data/random';
import { gitHead } from './lib/git-head';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCsv } from '../src/data/csv';
import { option, printTable, writeResults } from './lib/table';

const CLASSES = ['alpha', 'beta', 'gamma', 'delta'];
const CASES = [
  { rows: 6_000, features: 12 },
  { rows: 200_000, features: 32 },
];

interface Sample {
  seconds: number;
  rssBeforeMB: number;
  peakRssMB: number;
  count: number;
}

/** A header with a label column in the middle, features with 4 decimals, every 50th label quoted. */
function writeTable(path: string, rows: number, features: number, seed: number): void {
  const random = mulberry32(seed);
  const labelAt = Math.floor(features / 2);
  const names = Array.from({ length: features }, (_, i) => `f${i}`);
  names.splice(labelAt, 0, 'label');
  const lines = [names.join(',')];
  for (let r = 0; r < rows; r++) {
    const fields = Array.from({ length: features }, () => ((random() - 0.5) * 20).toFixed(4));
    const label = CLASSES[Math.floor(random() * CLASSES.length)];
    fields.splice(labelAt, 0, r % 50 === 0 ? `"${label}"` : label);
    lines.push(fields.join(','));
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** In the child: one load, then one JSON line on stdout. */
async function child(file: string): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  const began = process.hrtime.bigint();
  const data = await loadCsv(file, {});
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  const sample: Sample = {
    seconds,
    rssBeforeMB: rssBefore / 2 ** 20,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    count: data.count,
  };
  console.log(JSON.stringify(sample));
}

function loadInChild(file: string): Sample {
  const out = execFileSync(process.execPath, [__filename, '--child', file], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as Sample;
}

async function run(): Promise<void> {
  const reps = Number(option('reps', 'BENCH_REPS', '3'));
  const label = option('label', 'BENCH_LABEL', gitHead());
  const dir = mkdtempSync(join(tmpdir(), 'deepend-bench-csv-'));
  try {
    const files = CASES.map((c, i) => {
      const path = join(dir, `table-${c.rows}x${c.features}.csv`);
      writeTable(path, c.rows, c.features, 17 + i);
      return { ...c, path, megabytes: statSync(path).size / 1e6 };
    });
    const samples: Sample[][] = files.map(() => []);
    // Interleaved: every case once per repetition, so a change in the machine's load touches each case alike.
    for (let rep = 0; rep < reps; rep++) {
      files.forEach((f, i) => {
        const sample = loadInChild(f.path);
        if (sample.count !== f.rows) throw new Error(`${f.path}: loaded ${sample.count} rows, expected ${f.rows}`);
        samples[i].push(sample);
      });
    }
    const rows = files.map((f, i) => ({
      rows: f.rows,
      features: f.features,
      megabytes: f.megabytes,
      reps,
      medianSeconds: median(samples[i].map((s) => s.seconds)),
      medianPeakRssMB: median(samples[i].map((s) => s.peakRssMB)),
      medianRssBeforeMB: median(samples[i].map((s) => s.rssBeforeMB)),
      seconds: samples[i].map((s) => s.seconds),
      peakRssMB: samples[i].map((s) => s.peakRssMB),
    }));
    const load = loadavg()[0];
    console.log(
      `bench:csv  ${label}  node ${process.version}  ${availableParallelism()} cores  load average ${load.toFixed(2)}`,
    );
    printTable(
      ['table', 'MB', 'reps', 'median s', 'median peak RSS MB', 'RSS before load MB'],
      rows.map((r) => [
        `${r.rows} rows x ${r.features} features`,
        r.megabytes.toFixed(1),
        r.reps,
        Number(r.medianSeconds.toFixed(3)),
        Number(r.medianPeakRssMB.toFixed(0)),
        Number(r.medianRssBeforeMB.toFixed(0)),
      ]),
    );
    const path = writeResults('csv', {
      label,
      node: process.version,
      cores: availableParallelism(),
      loadAverage: load,
      rows,
    });
    console.log(`\nwrote ${path}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const childAt = process.argv.indexOf('--child');
void (childAt === -1 ? run() : child(process.argv[childAt + 1])).catch((err) => {
  console.error(`bench:csv: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
