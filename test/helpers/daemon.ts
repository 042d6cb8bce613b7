import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../../src/daemon/control-client';
import type { JobView } from '../../src/daemon/status';
import { DaemonProcess, type LogLine } from '../../scripts/lib/daemon-process';
export { DaemonProcess };
export type { LogLine };
import { HardwareFixture, hardwareFixturePath } from './hardware';
import { childPids, statFields } from './proc-stat';

/**
 * A test policy: 8+ cores get depth 3, every other device depth 2 (the
 * shipped depth: nothing to do). One Stage II epoch (about ten seconds
 * here; it usually gains about half a point, but one epoch on a busy machine
 * can end a tenth below). The gate lets any candidate through that loses
 * less than a point (minGain -0.01, maxLoss 1): these tests check the daemon's
 * jobs, not the growth's gain, and must not fail on noise.
 */
export const TEST_POLICY = `name: daemon-test
rules:
  - name: big
    match: { minCores: 8 }
    targetDepth: 3
    method: dils
    maxStep: 1
    budget: { epochs: 1 }
    gate: { minGain: -0.01, minAccuracy: 0, maxLoss: 1 }
    automatic: true
  - name: small
    match: {}
    targetDepth: 2
    method: dils
    maxStep: 1
    budget: { epochs: 1 }
    gate: { minGain: -0.01, minAccuracy: 0, maxLoss: 1 }
    automatic: true
`;

/**
 * The config's dataLimit in every test home: the daemon tests check what happens around a growth (jobs, stops,
 * fleet reports, rollouts), not what it gains. 2,500 of the 10,000 digits keep 500 held-out samples, on which the
 * shipped model's first upgrade (depth 2 -> 3, one epoch, split seed 42) ends at 99.40% as it began, and the second
 * (3 -> 4) too; with 4,000 they lost 0.25 and 0.50 points (the test gate allows 1). A one-epoch `deepend grow` of the
 * shipped model took 4.1 CPU-seconds on 2,500 digits and 5.8 on 4,000 (10,000: about 11). test/data-limit.test.ts
 * checks that the limit is honoured.
 */
export const DAEMON_TEST_DATA_LIMIT = '2500';

export interface TestHome {
  home: string;
  policy: string;
  /** The hardware fixture the daemon reads (DEEPEND_HARDWARE_FIXTURE); setHardware() rewrites it. */
  hardware: string;
  setHardware(name: HardwareFixture): void;
  env: NodeJS.ProcessEnv;
}

/** A temp directory with a home, the test policy and a hardware fixture, and the variables that point the daemon at them. */
export function testHome(t: { after(fn: () => void): void }, hardware: HardwareFixture = 'this-machine'): TestHome {
  const root = mkdtempSync(join(tmpdir(), 'deepend-daemon-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const home = join(root, 'home');
  const policy = join(root, 'policy.yaml');
  const hw = join(root, 'hardware.json');
  writeFileSync(policy, TEST_POLICY);
  const setHardware = (name: HardwareFixture) => copyFileSync(hardwareFixturePath(name), hw);
  setHardware(hardware);
  return {
    home,
    policy,
    hardware: hw,
    setHardware,
    // The embedded MQTT broker on a free port, so that tests never meet a broker on 1883.
    env: {
      DEEPEND_HOME: home,
      DEEPEND_POLICY: policy,
      DEEPEND_HARDWARE_FIXTURE: hw,
      DEEPEND_HTTP_PORT: '0',
      DEEPEND_DEVICE_ID: 'test-device',
      DEEPEND_MQTT_EMBEDDED_PORT: '0',
      DEEPEND_DATA_LIMIT: DAEMON_TEST_DATA_LIMIT,
    },
  };
}

/** CPU ticks used so far by the child processes of `pid` (its growth process), or 0 where /proc cannot tell. */
function childCpuTicks(pid: number): number {
  return childPids(pid).reduce((ticks, child) => {
    const f = statFields(String(child));
    return f ? ticks + Number(f[11]) + Number(f[12]) : ticks;
  }, 0);
}

/**
 * What changes while a job moves: its state, its row (each transition, each attempt), its latest
 * progress, and the CPU time of the daemon's growth process (a growth that is still loading its
 * data on a starved machine reports nothing for a while, but works).
 */
function movement(job: JobView, daemon?: DaemonProcess): string {
  return JSON.stringify([
    job.state,
    job.updatedAt,
    job.attempts,
    job.progress?.at ?? null,
    job.progress?.percent ?? null,
    daemon ? childCpuTicks(daemon.pid) : null,
  ]);
}

/**
 * Waits for `done` while job `id` moves: polls GET /jobs/ID and fails only when the job has not moved
 * (no transition, no progress, no CPU used by the daemon's growth process) for `stallMs`. A growth on
 * a loaded machine is slow, not stuck: fixed deadlines failed there (a one-epoch growth took over 90 s
 * at nice 19 on two cores at load 9-23); a job that hangs still fails, and the test's own timeout
 * bounds the whole.
 */
export async function whileJobMoves<T>(
  client: ControlClient,
  id: string,
  done: (job: JobView) => T | undefined,
  opts: { what: string; stallMs?: number; daemon?: DaemonProcess },
): Promise<T> {
  const stallMs = opts.stallMs ?? 90_000;
  let last = '';
  let movedAt = Date.now();
  for (;;) {
    const { job } = await client.ok<{ job: JobView }>('GET', `/jobs/${id}`);
    const result = done(job);
    if (result !== undefined) return result;
    const now = movement(job, opts.daemon);
    if (now !== last) {
      last = now;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > stallMs) {
      throw new Error(`${opts.what}: job ${id} still ${job.state}, and it has not moved for ${stallMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Polls GET /jobs/ID until the job has ended; fails when it has not moved for `stallMs` (see whileJobMoves). */
export function waitForJob(
  client: ControlClient,
  id: string,
  stallMs = 90_000,
  daemon?: DaemonProcess,
): Promise<JobView> {
  return whileJobMoves(client, id, (job) => (job.endedAt !== null ? job : undefined), {
    what: 'waiting for its end',
    stallMs,
    daemon,
  });
}

/** The first log line of the daemon that matches, waiting while job `id` moves (see whileJobMoves). */
export function lineWhileJobMoves(
  daemon: DaemonProcess,
  client: ControlClient,
  id: string,
  match: (l: LogLine) => boolean,
  stallMs = 90_000,
): Promise<LogLine> {
  return whileJobMoves(client, id, () => daemon.lines.find(match), { what: 'waiting for a log line', stallMs, daemon });
}

/** POSTs {"instances": [one zero image]} and returns status and body. */
export async function predictZeros(
  url: string,
  model = 'default',
): Promise<{ status: number; body: { predictions?: number[][] }; version: string | null }> {
  const res = await fetch(`${url}/v1/models/${model}:predict`, {
    method: 'POST',
    body: JSON.stringify({ instances: [new Array(784).fill(0)] }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { predictions?: number[][] },
    version: res.headers.get('x-model-version'),
  };
}
