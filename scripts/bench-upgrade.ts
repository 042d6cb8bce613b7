// From trigger to committed model for the default upgrade, and the idle
// daemon's memory with the default model loaded: real `deepend start`
// processes on temporary homes, this machine's hardware, policies/default.yaml.
//
//   npm run bench:upgrade
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonProcess, LogLine } from './lib/daemon-process';
import { printTable, writeResults } from './lib/table';

const TARGET_SECONDS = 90;
const TARGET_RSS_MB = 200;

/** The kernel's figures for a process: resident now and at its peak (VmHWM), in MB. */
function procMemory(pid: number): { rssMB: number; peakMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
}

const seconds = (from: LogLine, to: LogLine) => (Date.parse(to.time) - Date.parse(from.time)) / 1000;
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function predictSome(url: string, n: number): Promise<void> {
  const body = JSON.stringify({ instances: [new Array(784).fill(0)] });
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/v1/models/default:predict`, { method: 'POST', body });
    if (!res.ok) throw new Error(`predict answered ${res.status}`);
    await res.arrayBuffer();
  }
}

/** The default upgrade: first start on this machine, the automatic upgrade the matching rule queues, until it commits. */
async function upgrade(root: string) {
  const started = Date.now();
  const daemon = new DaemonProcess(
    [],
    { DEEPEND_HOME: join(root, 'upgrade'), DEEPEND_HTTP_PORT: '0' },
    { shippedFlags: true },
  );
  try {
    const url = await daemon.running();
    const queued = await daemon.waitFor((l) => l.msg === 'automatic upgrade queued');
    const ended = await daemon.waitFor(
      (l) => l.msg === 'job succeeded' || l.msg === 'job rejected' || l.msg === 'job failed',
      300_000,
    );
    if (ended.msg !== 'job succeeded')
      throw new Error(`the default upgrade ended ${ended.msg}: ${String(ended.reason)}`);
    const rule = daemon.lines.find((l) => l.msg.startsWith('compute detected'))?.rule;
    const backend = daemon.lines.find((l) => l.msg === 'backend selected')?.backend;
    const peak = procMemory(daemon.pid).peakMB;
    await predictSome(url, 50);
    await settle(3000);
    const after = procMemory(daemon.pid).rssMB;
    const startup = (Date.parse(queued.time) - started) / 1000;
    return {
      rule: String(rule),
      backend: String(backend),
      triggerToCommitSeconds: seconds(queued, ended),
      startToTriggerSeconds: startup,
      peakRssMB: peak,
      idleRssAfterUpgradeMB: after,
    };
  } finally {
    await daemon.stop();
  }
}

/** Idle with the shipped model loaded: a policy whose only rule upgrades on request, so nothing runs. */
async function idle(root: string) {
  const policy = join(root, 'manual.yaml');
  writeFileSync(
    policy,
    'rules:\n  - name: manual\n    targetDepth: 4\n    method: dils\n    maxStep: 2\n    budget: { minutes: 1 }\n    gate: { minGain: 0.001, minAccuracy: 0.9 }\n    automatic: false\n',
  );
  const daemon = new DaemonProcess(
    [],
    { DEEPEND_HOME: join(root, 'idle'), DEEPEND_HTTP_PORT: '0', DEEPEND_POLICY: policy },
    { shippedFlags: true },
  );
  try {
    const url = await daemon.running();
    await predictSome(url, 50);
    await settle(3000);
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      samples.push(procMemory(daemon.pid).rssMB);
      await settle(1000);
    }
    return { idleRssMB: Math.max(...samples) };
  } finally {
    await daemon.stop();
  }
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'deepend-bench-upgrade-'));
  try {
    const i = await idle(root);
    const u = await upgrade(root);
    printTable(
      ['measure', 'value', 'target', 'met'],
      [
        [
          'trigger -> committed (s), default upgrade',
          u.triggerToCommitSeconds,
          `< ${TARGET_SECONDS}`,
          u.triggerToCommitSeconds < TARGET_SECONDS ? 'yes' : 'NO',
        ],
        ['process start -> trigger (s)', u.startToTriggerSeconds, '', ''],
        [
          'idle RSS, shipped model loaded (MB)',
          i.idleRssMB,
          `< ${TARGET_RSS_MB}`,
          i.idleRssMB < TARGET_RSS_MB ? 'yes' : 'NO',
        ],
        ['idle RSS after the upgrade, grown model (MB)', u.idleRssAfterUpgradeMB, '', ''],
        ['peak RSS during the upgrade (MB)', u.peakRssMB, '', ''],
      ],
    );
    console.log(`rule ${u.rule}, backend ${u.backend}`);
    const path = writeResults('upgrade', {
      when: new Date().toISOString(),
      node: process.version,
      ...u,
      ...i,
      targets: { triggerToCommitSeconds: TARGET_SECONDS, idleRssMB: TARGET_RSS_MB },
    });
    console.log(`wrote ${path}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench-upgrade: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
