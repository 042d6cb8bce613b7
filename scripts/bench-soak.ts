// Soak: a real daemon (node --expose-gc and the daemon's flags, as npm start runs it) through many upgrade + rollback
// cycles with short growth budgets while predictions flow at a fixed rate.
// Before each reading the daemon runs a full GC (POST /memory on the control
// socket); every 10 cycles it prints RSS, heap, live tensors, open fds, the
// database's size and the home's disk use, then the least-squares slope per
// cycle over cycles 10..50 (target: RSS and heap under 0.05 MB/cycle).
//
//   npm run bench:soak [-- --cycles 50 --rate 20 --budget-seconds 3]
//   npm run bench:soak -- --heap-snapshots DIR  (V8 heap snapshots at cycle 10 and at the end, to diff what grows)
//   npm run bench:soak -- --budget-epochs 1   (a budget the machine's load cannot shrink: on a
//                                              busy machine a few seconds of growth train too
//                                              little to pass the gate, and no cycle completes)
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { ControlClient } from '../src/daemon/control-client';
import type { MemoryReading } from '../src/daemon/memory-reading';
import { steadyPredictions, waitForJobEnd } from './lib/daemon-load';
import { DaemonProcess } from './lib/daemon-process';
import { DAEMON_NODE_FLAGS } from '../src/util/node-flags';
import { grownMappings, type Mapping, readSmaps, residentByKind } from './lib/smaps';
import { option, printTable, writeResults } from './lib/table';

const CYCLES = Number(option('cycles', 'SOAK_CYCLES', '50'));
const RATE = Number(option('rate', 'SOAK_RATE', '20'));
const BUDGET_SECONDS = Number(option('budget-seconds', 'SOAK_BUDGET_SECONDS', '3'));
const BUDGET_EPOCHS = Number(option('budget-epochs', 'SOAK_BUDGET_EPOCHS', '0'));
const HEAP_SNAPSHOTS = option('heap-snapshots', 'SOAK_HEAP_SNAPSHOTS', '');
const SLOPE_FROM = 10;
const TARGET_MB_PER_CYCLE = 0.05;
const MB = 1024 * 1024;

interface Reading {
  cycle: number;
  rssMB: number;
  heapMB: number;
  tensors: number;
  openFds: number;
  dbKB: number;
  diskKB: number;
  predictionsOk: number;
  predictionsFailed: number;
  seconds: number;
  /** Where RSS and the heap are: V8's figures, the wasm backend's linear memory and /proc/PID/smaps by kind. */
  heapTotalMB: number;
  newSpaceMB: number;
  oldSpaceMB: number;
  codeSpaceMB: number;
  v8MallocedMB: number;
  externalMB: number;
  arrayBuffersMB: number;
  wasmHeapMB: number | null;
  brkHeapMB: number;
  wasmMB: number;
  otherAnonMB: number;
  fileMB: number;
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += bytesUnder(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Has the daemon (started with --heapsnapshot-signal) write a heap snapshot, and waits until the file is complete. */
async function heapSnapshot(pid: number, dir: string): Promise<void> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (let size = -1; ; await sleep(1000)) {
    const made = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!made) continue;
    const now = statSync(join(dir, made)).size;
    if (now > 0 && now === size) return;
    size = now;
  }
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'deepend-bench-soak-'));
  const home = join(root, 'home');
  const policy = join(root, 'soak.yaml');
  writeFileSync(
    policy,
    `name: soak\nrules:\n  - name: soak\n    match: {}\n    targetDepth: 3\n    method: dils\n    maxStep: 1\n    budget: { ${BUDGET_EPOCHS > 0 ? `epochs: ${BUDGET_EPOCHS}` : `minutes: ${BUDGET_SECONDS / 60}`} }\n    gate: { minGain: -0.01, minAccuracy: 0, maxLoss: 1 }\n    automatic: false\n`,
  );
  const daemon = new DaemonProcess(
    [],
    {
      DEEPEND_HOME: home,
      DEEPEND_POLICY: policy,
      DEEPEND_HTTP_PORT: '0',
      DEEPEND_MQTT_EMBEDDED_PORT: '0',
      DEEPEND_DEVICE_ID: 'soak',
    },
    {
      shippedFlags: true,
      nodeArgs: [
        '--expose-gc',
        ...(HEAP_SNAPSHOTS ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${HEAP_SNAPSHOTS}`] : []),
      ],
    },
  );
  const began = Date.now();
  try {
    const url = await daemon.running();
    const client = new ControlClient(home);
    const load = steadyPredictions(url, RATE);
    const readings: Reading[] = [];
    let mapsFrom: Mapping[] = [];
    let mapsLast: Mapping[] = [];
    const read = async (cycle: number): Promise<Reading> => {
      const m = await client.ok<MemoryReading & Record<string, unknown>>('POST', '/memory');
      if (!m.collected) throw new Error('the daemon runs without --expose-gc');
      const maps = readSmaps(daemon.pid);
      if (cycle === SLOPE_FROM) mapsFrom = maps;
      mapsLast = maps;
      if (HEAP_SNAPSHOTS && (cycle === SLOPE_FROM || cycle === CYCLES)) await heapSnapshot(daemon.pid, HEAP_SNAPSHOTS);
      return {
        cycle,
        rssMB: m.rssBytes / MB,
        heapMB: m.heapUsedBytes / MB,
        tensors: m.tensors,
        openFds: m.openFds ?? -1,
        dbKB: (fileSize(join(home, 'deepend.db')) + fileSize(join(home, 'deepend.db-wal'))) / 1024,
        diskKB: bytesUnder(home) / 1024,
        predictionsOk: load.counts.ok,
        predictionsFailed: load.counts.failed,
        seconds: Math.round((Date.now() - began) / 1000),
        heapTotalMB: m.heapTotalBytes / MB,
        newSpaceMB: (m.heapSpaces.new_space ?? 0) / MB,
        oldSpaceMB: (m.heapSpaces.old_space ?? 0) / MB,
        codeSpaceMB: (m.heapSpaces.code_space ?? 0) / MB,
        v8MallocedMB: m.v8MallocedBytes / MB,
        externalMB: m.externalBytes / MB,
        arrayBuffersMB: m.arrayBuffersBytes / MB,
        wasmHeapMB: m.wasmHeapBytes === null ? null : m.wasmHeapBytes / MB,
        ...residentByKind(maps),
      };
    };
    readings.push(await read(0));
    // A cycle is one committed upgrade and its rollback. The soak's gate lets a loss under a point through
    // (minGain -0.01, maxLoss 1: a few seconds of Stage II, whose last weights are kept unless worse, often
    // end a tenth below); one it rejects all the same is counted and tried again, it is not a cycle.
    const outcomes: Record<string, number> = {};
    for (let cycle = 1, attempts = 0; cycle <= CYCLES; ) {
      if (++attempts > 3 * CYCLES)
        throw new Error(`only ${cycle - 1} cycles after ${attempts - 1} upgrades: ${JSON.stringify(outcomes)}`);
      const { job } = await client.ok<{ job: { id: string } }>('POST', '/deepen', { toDepth: 3 });
      const ended = await waitForJobEnd(client, job.id);
      outcomes[ended.state] = (outcomes[ended.state] ?? 0) + 1;
      if (ended.state !== 'succeeded') continue;
      const back = await client.ok<{ job: { state: string } }>('POST', '/rollback', { version: 1 });
      outcomes[`rollback ${back.job.state}`] = (outcomes[`rollback ${back.job.state}`] ?? 0) + 1;
      const r = await read(cycle);
      readings.push(r);
      // every reading as it comes, so that a run cut short still shows where memory went
      process.stderr.write(
        `cycle ${cycle}/${CYCLES} (${r.seconds} s): RSS ${r.rssMB.toFixed(2)} heap ${r.heapMB.toFixed(2)} heapTotal ${r.heapTotalMB.toFixed(2)} ` +
          `new ${r.newSpaceMB.toFixed(2)} old ${r.oldSpaceMB.toFixed(2)} code ${r.codeSpaceMB.toFixed(2)} brk ${r.brkHeapMB.toFixed(2)} ` +
          `anon ${r.otherAnonMB.toFixed(2)} wasm ${r.wasmMB.toFixed(2)} db ${r.dbKB.toFixed(0)} KB ${JSON.stringify(outcomes)}\n`,
      );
      cycle++;
    }
    load.stop();

    const shown = readings.filter((r) => r.cycle % 10 === 0);
    printTable(
      ['cycle', 'RSS MB', 'heap MB', 'tensors', 'open fds', 'db KB', 'disk KB', 'predictions ok', 'failed', 's'],
      shown.map((r) => [
        r.cycle,
        Number(r.rssMB.toFixed(1)),
        Number(r.heapMB.toFixed(2)),
        r.tensors,
        r.openFds,
        Math.round(r.dbKB),
        Math.round(r.diskKB),
        r.predictionsOk,
        r.predictionsFailed,
        r.seconds,
      ]),
    );
    console.log('\nwhere the memory is (MB; RSS by kind from /proc/PID/smaps, the rest from V8 and the wasm backend):');
    const parts = [
      'heapTotalMB',
      'newSpaceMB',
      'oldSpaceMB',
      'codeSpaceMB',
      'v8MallocedMB',
      'externalMB',
      'arrayBuffersMB',
      'wasmHeapMB',
      'brkHeapMB',
      'wasmMB',
      'otherAnonMB',
      'fileMB',
    ] as const;
    printTable(
      [
        'cycle',
        'heap total',
        'new space',
        'old space',
        'code space',
        'v8 malloc',
        'external',
        'array buffers',
        'wasm heap',
        'rss: brk',
        'rss: wasm',
        'rss: anon',
        'rss: files',
      ],
      shown.map((r) => [r.cycle, ...parts.map((k) => Number((r[k] ?? -1).toFixed(2)))]),
    );
    const window = readings.filter((r) => r.cycle >= SLOPE_FROM && r.cycle <= CYCLES);
    const xs = window.map((r) => r.cycle);
    const slopes = {
      rssMBPerCycle: slope(
        xs,
        window.map((r) => r.rssMB),
      ),
      heapMBPerCycle: slope(
        xs,
        window.map((r) => r.heapMB),
      ),
      tensorsPerCycle: slope(
        xs,
        window.map((r) => r.tensors),
      ),
      openFdsPerCycle: slope(
        xs,
        window.map((r) => r.openFds),
      ),
      dbKBPerCycle: slope(
        xs,
        window.map((r) => r.dbKB),
      ),
      diskKBPerCycle: slope(
        xs,
        window.map((r) => r.diskKB),
      ),
    };
    console.log(
      `slope per cycle over cycles ${SLOPE_FROM}-${CYCLES}: RSS ${slopes.rssMBPerCycle.toFixed(4)} MB, heap ${slopes.heapMBPerCycle.toFixed(4)} MB (target < ${TARGET_MB_PER_CYCLE}), ` +
        `tensors ${slopes.tensorsPerCycle.toFixed(3)}, fds ${slopes.openFdsPerCycle.toFixed(3)}, db ${slopes.dbKBPerCycle.toFixed(2)} KB, disk ${slopes.diskKBPerCycle.toFixed(2)} KB`,
    );
    const partSlopes = Object.fromEntries(
      parts.map((k) => [
        k,
        slope(
          xs,
          window.map((r) => r[k] ?? 0),
        ),
      ]),
    );
    console.log(
      `slope per cycle by part (MB): ${parts.map((k) => `${k.replace(/MB$/, '')} ${partSlopes[k].toFixed(4)}`).join(', ')}`,
    );
    if (mapsFrom.length > 0) {
      console.log(`mappings whose resident size changed most from cycle ${SLOPE_FROM} to ${CYCLES}:`);
      for (const line of grownMappings(mapsFrom, mapsLast, 12)) console.log(`  ${line}`);
    }
    console.log(
      `upgrades and rollbacks: ${JSON.stringify(outcomes)}; predictions: ${load.counts.ok} ok, ${load.counts.failed} failed at ${RATE}/s; ${Math.round((Date.now() - began) / 1000)} s`,
    );
    const pass = slopes.rssMBPerCycle < TARGET_MB_PER_CYCLE && slopes.heapMBPerCycle < TARGET_MB_PER_CYCLE;
    console.log(pass ? 'memory flat: within target' : 'memory grows: over target');
    const path = writeResults('soak', {
      cycles: CYCLES,
      daemonNodeFlags: [...DAEMON_NODE_FLAGS],
      ratePerSecond: RATE,
      budgetSeconds: BUDGET_EPOCHS > 0 ? null : BUDGET_SECONDS,
      budgetEpochs: BUDGET_EPOCHS > 0 ? BUDGET_EPOCHS : null,
      outcomes,
      readings,
      slopes,
      partSlopes,
      targetMBPerCycle: TARGET_MB_PER_CYCLE,
      pass,
    });
    console.log(`wrote ${path}`);
  } finally {
    await daemon.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
