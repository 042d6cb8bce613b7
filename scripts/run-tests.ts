// npm test -- [--jobs N] [--max-jobs M] [--min-idle CORES] [--write-durations] [FILE...]
// Runs the test files (default: every dist/test/*.test.js), each in a process of its own as `node --test` does,
// the longest first (by test/durations.json), `jobs` at once and more while cores stand idle
// (scripts/lib/test-scheduling.ts). Each file's TAP output is printed whole when it ends, then the counts of all
// files; the exit code is 1 when a test or a file failed. --write-durations stores this run's times per file in
// test/durations.json (commit it after adding or changing a long test file).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { IdleCores } from '../src/compute/idle-cores';
import {
  type SchedulingLimits,
  TAP_COUNTS,
  addTapCounts,
  emptyCounts,
  longestFirst,
  startsAnother,
} from './lib/test-scheduling';

const TEST_DIR = join(__dirname, '..', 'test');
/** Seconds per test file, keyed by its source name (x.test.ts), from a run with --write-durations. */
const DURATIONS = join(__dirname, '..', '..', 'test', 'durations.json');
const SAMPLE_MS = 1000;
const USAGE = 'usage: npm test -- [--jobs N] [--max-jobs M] [--min-idle CORES] [--write-durations] [FILE...]';

interface FileResult {
  file: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  seconds: number;
  failures: string[];
}

const durationKey = (file: string) => basename(file).replace(/\.js$/, '.ts');

function readDurations(): Record<string, number> {
  if (!existsSync(DURATIONS)) return {};
  try {
    return JSON.parse(readFileSync(DURATIONS, 'utf8')) as Record<string, number>;
  } catch (err) {
    throw new Error(`${DURATIONS}: ${(err as Error).message}`);
  }
}

function writeDurations(results: FileResult[]): void {
  const seconds = readDurations();
  for (const r of results) seconds[durationKey(r.file)] = Math.round(r.seconds * 10) / 10;
  const sorted = Object.fromEntries(Object.entries(seconds).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(`${DURATIONS}.tmp`, `${JSON.stringify(sorted, null, 2)}\n`);
  renameSync(`${DURATIONS}.tmp`, DURATIONS);
}

function options(): { files: string[]; limits: SchedulingLimits; record: boolean } {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      jobs: { type: 'string', default: '4' },
      'max-jobs': { type: 'string', default: '6' },
      'min-idle': { type: 'string', default: '0.5' },
      'write-durations': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const number = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min} (got '${text}')`);
    return n;
  };
  const jobs = number('jobs', values.jobs, 1);
  const limits = {
    jobs,
    maxJobs: Math.max(jobs, number('max-jobs', values['max-jobs'], 1)),
    minIdleCores: number('min-idle', values['min-idle'], 0),
  };
  const files = positionals.length
    ? positionals
    : readdirSync(TEST_DIR)
        .filter((f) => f.endsWith('.test.js'))
        .map((f) => join(TEST_DIR, f));
  return { files: longestFirst(files, readDurations(), durationKey), limits, record: values['write-durations'] };
}

/**
 * The test files' environment: this one without NODE_EXTRA_CA_CERTS, which made every Node process the suite
 * starts (about 500: files, daemons, growths, CLIs) parse the system's CA bundle first, 40 ms of CPU each here
 * (node -e 0: 0.06 s without, 0.10 s with). The tests reach no server but their own, with their own CAs.
 */
function testEnv(): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
  return env;
}

function runFile(file: string, children: Set<ChildProcess>): Promise<FileResult & { tap: string; stderr: string }> {
  const began = performance.now();
  const child = spawn(process.execPath, ['--test-reporter=tap', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: testEnv(),
  });
  children.add(child);
  let tap = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (tap += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      children.delete(child);
      const failures = tap.split('\n').filter((l) => /^not ok \d+ /.test(l));
      resolve({ file, code, signal, seconds: (performance.now() - began) / 1000, failures, tap, stderr });
    });
  });
}

async function main(): Promise<number> {
  const { files, limits, record } = options();
  const pending = [...files];
  const children = new Set<ChildProcess>();
  const results: FileResult[] = [];
  const counts = emptyCounts();
  const began = performance.now();
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      for (const child of children) child.kill('SIGTERM');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });

  await new Promise<void>((allDone) => {
    let running = 0;
    // Nice time counts as busy (IdleCores): the daemon tests' growths run at nice 19, and a file started on their
    // cores starved them (measured: the two longest files took 262 s instead of 221 s).
    const idle = new IdleCores();
    const start = () => {
      const file = pending.shift();
      if (!file) return;
      running++;
      void runFile(file, children).then((r) => {
        running--;
        const complete = addTapCounts(counts, r.tap);
        const ok = r.code === 0 && complete;
        const how = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
        const at = ((performance.now() - began) / 1000).toFixed(0);
        process.stdout.write(
          `# file ${r.file}: ${ok ? 'ok' : `not ok (${how})`} in ${r.seconds.toFixed(1)} s (at ${at} s)\n`,
        );
        process.stdout.write(r.tap.endsWith('\n') || !r.tap ? r.tap : `${r.tap}\n`);
        if (r.stderr) process.stdout.write(`${r.stderr.replace(/\n$/, '').replace(/^/gm, '# stderr: ')}\n`);
        results.push({ ...r, code: ok ? 0 : r.code || 1 });
        fill();
        if (running === 0 && !pending.length) allDone();
      });
    };
    const fill = () => {
      while (pending.length && running < limits.jobs) start();
    };
    fill();
    if (!files.length) allDone();
    const timer = setInterval(() => {
      if (!pending.length) return clearInterval(timer);
      if (startsAnother(limits, running, idle.sample())) start();
    }, SAMPLE_MS);
  });

  const failed = results.filter((r) => r.code !== 0);
  process.stdout.write(`# files ${results.length}\n`);
  for (const key of TAP_COUNTS) process.stdout.write(`# ${key} ${counts[key]}\n`);
  process.stdout.write(`# duration_ms ${Math.round(performance.now() - began)}\n`);
  for (const r of failed) {
    process.stdout.write(`# failed: ${r.file}\n`);
    for (const line of r.failures) process.stdout.write(`#   ${line}\n`);
  }
  if (record) writeDurations(results);
  return failed.length || counts.fail ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`run-tests: ${err.message}\n`);
    process.exitCode = 2;
  },
);
