// Experiment (not a bench): which part of an upgrade + rollback cycle grows the daemon's RSS.
//   node dist/scripts/exp-soak-parts.js MODE CYCLES
// MODE swap: one upgrade to v2, then CYCLES x (rollback to 1, rollback to 2): model loads and swaps only.
// MODE reject: CYCLES upgrades whose gate always rejects: a growth child process each, no swap.
// Prints a reading every 10 cycles and slopes; at the end calls malloc_trim(0) in the daemon through gdb.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../src/daemon/control-client';
import type { MemoryReading } from '../src/daemon/memory-reading';
import { DaemonProcess } from './lib/daemon-process';
import { grownMappings, type Mapping, readSmaps, residentByKind } from './lib/smaps';

const MODE = process.argv[2] ?? 'swap';
const CYCLES = Number(process.argv[3] ?? '60');
const MB = 1024 * 1024;
const SNAP_AT = (process.env.EXP_SNAP_AT ?? '').split(',').filter(Boolean).map(Number);

function slope(ys: number[]): number {
  const n = ys.length;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - mx) * (ys[i] - my);
    den += (i - mx) ** 2;
  }
  return num / den;
}

async function waitForEnd(client: ControlClient, id: string): Promise<string> {
  for (;;) {
    const { job } = await client.ok<{ job: { state: string; endedAt: string | null } }>('GET', `/jobs/${id}`);
    if (job.endedAt !== null) return job.state;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'deepend-exp-'));
  const home = join(root, 'home');
  const policy = join(root, 'p.yaml');
  const gate = MODE === 'reject' ? '{ minGain: 1, minAccuracy: 0 }' : '{ minGain: 0, minAccuracy: 0 }';
  const minutes = MODE === 'reject' ? 0.05 : 0.5;
  writeFileSync(
    policy,
    `name: exp\nrules:\n  - name: exp\n    match: {}\n    targetDepth: 3\n    method: dils\n    maxStep: 1\n    budget: { minutes: ${minutes} }\n    gate: ${gate}\n    automatic: false\n`,
  );
  const daemon = new DaemonProcess(
    [],
    {
      DEEPEND_HOME: home,
      DEEPEND_POLICY: policy,
      DEEPEND_HTTP_PORT: '0',
      DEEPEND_MQTT_EMBEDDED_PORT: '0',
      DEEPEND_DEVICE_ID: 'exp',
    },
    { nodeArgs: ['--expose-gc', ...(process.env.EXP_NODE_ARGS ?? '').split(' ').filter(Boolean)] },
  );
  try {
    const url = await daemon.running();
    const client = new ControlClient(home);
    const body = JSON.stringify({ instances: [new Array(784).fill(0)] });
    let ok = 0;
    const timer = setInterval(() => {
      fetch(`${url}/v1/models/default:predict`, { method: 'POST', body })
        .then(async (r) => {
          await r.arrayBuffer();
          if (r.ok) ok++;
        })
        .catch(() => undefined);
    }, 50);
    if (MODE === 'swap') {
      for (;;) {
        const { job } = await client.ok<{ job: { id: string } }>('POST', '/deepen', { toDepth: 3 });
        if ((await waitForEnd(client, job.id)) === 'succeeded') break;
      }
    }
    const rows: (MemoryReading & { brkHeapMB: number; wasmMB: number; otherAnonMB: number; fileMB: number })[] = [];
    let first: Mapping[] = [];
    let last: Mapping[] = [];
    const began = Date.now();
    for (let c = 0; c <= CYCLES; c++) {
      if (c > 0) {
        if (MODE === 'swap') {
          for (const v of [1, 2]) {
            const r = await client.ok<{ job: { state: string } }>('POST', '/rollback', { version: v });
            if (r.job.state !== 'succeeded') throw new Error(`rollback ${v}: ${r.job.state}`);
          }
        } else if (MODE === 'idle') {
          await new Promise((r) => setTimeout(r, 20_000));
        } else {
          const { job } = await client.ok<{ job: { id: string } }>('POST', '/deepen', { toDepth: 3 });
          const state = await waitForEnd(client, job.id);
          if (state !== 'rejected') throw new Error(`upgrade ended ${state}`);
        }
      }
      const m = await client.ok<MemoryReading>('POST', '/memory');
      if (SNAP_AT.includes(c)) {
        const before = new Set(readdirSync('.').filter((f) => f.endsWith('.heapsnapshot')));
        process.kill(daemon.pid, 'SIGUSR2');
        for (;;) {
          await new Promise((r) => setTimeout(r, 1000));
          const made = readdirSync('.').filter((f) => f.endsWith('.heapsnapshot') && !before.has(f));
          if (made.length > 0 && statSync(made[0]).size > 0) {
            await new Promise((r) => setTimeout(r, 3000));
            console.log(`cycle ${c}: heap snapshot ${made[0]}`);
            break;
          }
        }
      }
      const maps = readSmaps(daemon.pid);
      if (c === 10) first = maps;
      last = maps;
      rows.push({ ...m, ...residentByKind(maps) });
      if (c % 10 === 0) {
        console.log(
          `cycle ${c} rss ${(m.rssBytes / MB).toFixed(2)} heapUsed ${(m.heapUsedBytes / MB).toFixed(2)} heapTotal ${(m.heapTotalBytes / MB).toFixed(2)} ` +
            `v8malloc ${(m.v8MallocedBytes / MB).toFixed(2)} external ${(m.externalBytes / MB).toFixed(2)} arrayBuffers ${(m.arrayBuffersBytes / MB).toFixed(2)} ` +
            `wasmHeap ${((m.wasmHeapBytes ?? 0) / MB).toFixed(2)} | spaces ${Object.entries(m.heapSpaces)
              .filter(([, v]) => v > 0)
              .map(([k, v]) => `${k.replace(/_space$/, '')} ${(v / MB).toFixed(2)}`)
              .join(' ')} | smaps brk ${rows.at(-1)!.brkHeapMB.toFixed(2)} wasm ${rows.at(-1)!.wasmMB.toFixed(2)} ` +
            `anon ${rows.at(-1)!.otherAnonMB.toFixed(2)} files ${rows.at(-1)!.fileMB.toFixed(2)} | fds ${m.openFds} tensors ${m.tensors} | ok ${ok} | ${Math.round((Date.now() - began) / 1000)} s`,
        );
      }
    }
    clearInterval(timer);
    const w = rows.slice(10);
    const s = (f: (r: (typeof rows)[number]) => number) => slope(w.map(f)).toFixed(4);
    console.log(
      `slopes per cycle from 10 (MB): rss ${s((r) => r.rssBytes / MB)} heapUsed ${s((r) => r.heapUsedBytes / MB)} heapTotal ${s((r) => r.heapTotalBytes / MB)} ` +
        `v8malloc ${s((r) => r.v8MallocedBytes / MB)} external ${s((r) => r.externalBytes / MB)} wasmHeap ${s((r) => (r.wasmHeapBytes ?? 0) / MB)} ` +
        `brk ${s((r) => r.brkHeapMB)} wasm ${s((r) => r.wasmMB)} anon ${s((r) => r.otherAnonMB)} files ${s((r) => r.fileMB)}`,
    );
    for (const line of grownMappings(first, last, 15)) console.log(`  ${line}`);
    const before = rssOf(daemon.pid);
    try {
      execFileSync('gdb', ['-p', String(daemon.pid), '-batch', '-ex', 'call (int) malloc_trim(0)'], {
        stdio: 'ignore',
      });
      const after = rssOf(daemon.pid);
      const k = residentByKind(readSmaps(daemon.pid));
      console.log(
        `malloc_trim(0) through gdb: RSS ${before.toFixed(2)} -> ${after.toFixed(2)} MB; brk ${k.brkHeapMB.toFixed(2)} anon ${k.otherAnonMB.toFixed(2)}`,
      );
    } catch (err) {
      console.log(`gdb malloc_trim failed: ${err instanceof Error ? err.message.split('\n')[0] : err}`);
    }
  } finally {
    await daemon.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
