import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyRule } from '../../src/policy/types';
import type { UpgradeRequest } from '../../src/jobs/types';
import { CANDIDATES_DIR, modelRoot } from '../../src/store/model-dirs';

export const MODEL = 'default';
/** Samples the tests grow on: enough for a held-out part of 240 digits, little enough to train in seconds. */
export const DATA_LIMIT = 1200;

/** A rule with a few seconds of budget; the default gate lets any candidate through. */
export function testRule(over: Partial<PolicyRule> = {}): PolicyRule {
  return {
    name: 'test',
    match: {},
    targetDepth: 3,
    method: 'dils',
    maxStep: 1,
    budget: { minutes: 4 / 60 },
    gate: { minGain: -1, minAccuracy: 0, maxLoss: 1 },
    automatic: false,
    ...over,
  };
}

/** Entries under models/NAME/.candidates: empty once every job has cleaned up. */
export function candidateEntries(home: string): string[] {
  const dir = join(modelRoot(home, MODEL), CANDIDATES_DIR);
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** What test/helpers/jobs-daemon.ts is told on its command line. */
export interface DaemonArgs {
  home: string;
  rule: PolicyRule;
  request?: UpgradeRequest;
  dataLimit?: number;
}

/** What test/helpers/jobs-daemon.ts prints on its last line, after the runner is idle. */
export interface DaemonResult {
  recovered: { resumed: string[]; rolledBack: string[]; failed: string[] };
  /** Weights digests right after recover() resolved, before any resumed job ran on. */
  afterRecover: { served: string; committed: string };
  answer?: { accepted: boolean; reason?: string };
  served: { version: number; sha256: string; depth: number };
  committed: { version: number; sha256: string; depth: number };
  current: number | undefined;
  jobs: { id: string; state: string; attempts: number; reason: string | null }[];
  numTensors: number;
  rssBytes: number;
  seconds: number;
}

export interface DaemonRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  result?: DaemonResult;
}

export const RESULT_PREFIX = 'RESULT ';
const HARNESS = join(__dirname, 'jobs-daemon.js');

/** Runs the harness in a child process; `crashAt` sets DEEPEND_CRASH_AT for this run only. */
export function runDaemon(args: DaemonArgs, crashAt?: string, timeoutMs = 300_000): Promise<DaemonRun> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.DEEPEND_CRASH_AT;
    if (crashAt !== undefined) env.DEEPEND_CRASH_AT = crashAt;
    const child = spawn(process.execPath, [HARNESS, JSON.stringify(args)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      resolve({
        code,
        signal,
        stderr,
        result: line ? (JSON.parse(line.slice(RESULT_PREFIX.length)) as DaemonResult) : undefined,
      });
    });
  });
}
