// npm run bench:swap [-- --clients N --seconds T --max-batch B --pause-ms P]
// Serving under load on loopback: N keep-alive clients (in a child process)
// post single-image predict requests to the shipped model for T seconds in
// each phase: idle, during growth, during a swap loop (the shipped model and a
// one-block-deeper copy swapped back and forth from disk), and after. Prints
// requests/s, p50/p99/max latency and failed requests per phase, the tensor
// count and RSS after it, and writes bench-results/swap.json. The idle phase
// is also run against a second server without micro-batching, interleaved,
// and against a shadow run (the deeper copy answering the same requests beside
// the shipped model, src/jobs/shadow-run.ts), interleaved.
//
// "During growth" runs the daemon's real growth process beside the load
// (src/jobs/grow-process.ts startGrowth: DILS growth of the shipped model to
// depth 4 on MNIST in a niced child process, as an upgrade job runs it).
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { ChildProcess, fork } from 'node:child_process';
import { tf } from '../src/tf';
import { selectBackend } from '../src/compute/backend';
import { loadModel, MetaWithoutDigest, saveModel } from '../src/model/io';
import { identityMethod } from '../src/grow/methods/identity';
import { spreadPlan } from '../src/grow/planner';
import { TensorSet } from '../src/train/tensors';
import { loadServedModel, Metrics, ModelSlot, serverPort, startServer, stopServer } from '../src/serve';
import { GrowthHandle, startGrowth } from '../src/jobs/grow-process';
import { ShadowFigures, ShadowRun, shadowOnSlot } from '../src/jobs/shadow-run';
import { Cell, option, printTable, writeResults } from './lib/table';

const DEFAULT_MODEL = resolve(__dirname, '../../models/default');

// ---- client process: the load generator ------------------------------------

interface LoadRequest {
  seconds: number;
  /** Another server on loopback than the one in ClientsInit.url. */
  port?: number;
}
interface LoadReply {
  latenciesMs: Float64Array;
  failed: number;
  errors: string[];
  seconds: number;
}

function post(agent: Agent, url: URL, body: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

interface ClientsInit {
  url: string;
  body: string;
  clients: number;
}

/** In its own process, so that its CPU and memory are not the server's. */
function runClients(init: ClientsInit): void {
  const agent = new Agent({ keepAlive: true, maxSockets: init.clients });
  process.on('message', async (m: LoadRequest) => {
    const url = new URL(init.url);
    if (m.port) url.port = String(m.port);
    const latencies: number[] = [];
    const errors: string[] = [];
    let failed = 0;
    const started = performance.now();
    const end = started + m.seconds * 1000;
    const client = async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          const status = await post(agent, url, init.body);
          if (status < 200 || status > 299) {
            failed++;
            if (errors.length < 5) errors.push(`HTTP ${status}`);
          }
        } catch (err) {
          failed++;
          if (errors.length < 5) errors.push((err as Error).message);
        }
        latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: init.clients }, client));
    const reply: LoadReply = {
      latenciesMs: Float64Array.from(latencies),
      failed,
      errors,
      seconds: (performance.now() - started) / 1000,
    };
    process.send!(reply);
  });
  process.on('disconnect', () => process.exit(0));
}

// ---- main thread: server, phases, workloads --------------------------------

/** Runs beside the load for one phase: start() resolves once it is really running. */
export interface Workload {
  start(): Promise<void>;
  stop(): Promise<Record<string, Cell>>;
}

/** The real growth process of an upgrade job, from its first progress event until the phase ends. */
function growthWorkload(root: string, backend: string): Workload {
  let handle: GrowthHandle | undefined;
  let lastStage = '';
  let progressEvents = 0;
  return {
    start: () =>
      new Promise((ready) => {
        handle = startGrowth(
          {
            parentDir: DEFAULT_MODEL,
            candidateDir: join(root, 'candidate'),
            data: 'mnist',
            toDepth: 4,
            method: 'dils',
            budget: { seconds: 600 },
            backend,
          },
          (e) => {
            if (progressEvents++ === 0) ready();
            lastStage = e.stage;
          },
          (warning) => process.stderr.write(`growth: ${warning}\n`),
        );
      }),
    stop: async () => {
      handle?.abort(2000);
      const outcome = await handle?.result;
      return { growthStage: lastStage, growthProgressEvents: progressEvents, growthOutcome: outcome?.kind ?? '-' };
    },
  };
}

function swapWorkload(slot: ModelSlot, dirs: Record<number, string>, pauseMs: number): Workload {
  let running = false;
  let loop: Promise<void> | undefined;
  const swapMs: number[] = [];
  return {
    start: async () => {
      running = true;
      loop = (async () => {
        while (running) {
          const version = slot.current()!.version === 1 ? 2 : 1;
          const t0 = performance.now();
          await slot.swap(await loadServedModel(dirs[version], version));
          swapMs.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, pauseMs));
        }
      })();
    },
    stop: async () => {
      running = false;
      await loop;
      // End on the shipped version, so the phase after compares like with like.
      if (slot.current()!.version !== 1) await slot.swap(await loadServedModel(dirs[1], 1));
      return { swaps: swapMs.length, swapMsP50: percentile(swapMs, 0.5), swapMsMax: Math.max(...swapMs) };
    },
  };
}

/**
 * Idle against a shadow run (src/jobs/shadow-run.ts: the one-block-deeper copy
 * answering the served requests beside the shipped model, as an upgrade job's
 * shadow step runs it), in alternating slices so that noise falls on both alike.
 */
async function idleAndShadow(clients: ChildProcess, seconds: number, slot: ModelSlot, candidateDir: string) {
  const slices = 4;
  const idle: LoadReply[] = [];
  const shadowed: LoadReply[] = [];
  const runs: ShadowFigures[] = [];
  const candidate = await loadServedModel(candidateDir, 2);
  for (let i = 0; i < slices; i++) {
    for (const which of i % 2 === 0 ? ['shadow', 'idle'] : ['idle', 'shadow']) {
      if (which === 'idle') {
        idle.push(await runLoad(clients, seconds / slices));
        continue;
      }
      let run: ShadowRun | undefined;
      const figures = shadowOnSlot(slot, candidate, { requests: 1e9, minutes: 60, maxDisagreement: 1 }, (r) => {
        run = r;
      });
      shadowed.push(await runLoad(clients, seconds / slices));
      run?.stop();
      runs.push(await figures);
    }
  }
  candidate.model.dispose();
  const compared = runs.reduce((s, r) => s + r.requests, 0);
  const skipped = runs.reduce((s, r) => s + r.skipped, 0);
  return [
    summarise('idle (beside shadow)', idle, {}),
    summarise('during a shadow run', shadowed, {
      shadowCompared: compared,
      shadowSkipped: skipped,
      candidateP99Ms: Math.max(...runs.map((r) => r.candidateP99Ms ?? 0)),
    }),
  ];
}

/** One block deeper than the shipped model (identity growth): a second version that costs more to run. */
async function deeperCopy(root: string): Promise<string> {
  const parent = await loadModel(DEFAULT_MODEL);
  const grown = await identityMethod.initialise({
    parent: parent.model,
    parentSpec: parent.meta.arch,
    plan: spreadPlan(parent.meta.arch, parent.meta.depth + 1),
    data: { train: {} as TensorSet, validation: {} as TensorSet },
    budget: { epochs: 1 },
    batchSize: 8,
    learningRate: 1e-3,
    seed: 1,
  });
  const { weightsSha256: _w, parameters: _p, ...inherited } = parent.meta;
  const meta: MetaWithoutDigest = {
    ...inherited,
    depth: grown.spec.blocks.length,
    arch: grown.spec,
    createdAt: new Date().toISOString(),
  };
  const dir = join(root, 'v2');
  await saveModel(grown.model, meta, dir);
  parent.model.dispose();
  grown.model.dispose();
  return dir;
}

function percentile(sorted: number[] | Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

interface PhaseResult {
  phase: string;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  failed: number;
  errors: string[];
  tensorsAfter: number;
  rssMBAfter: number;
  workload: Record<string, Cell>;
}

function runLoad(clients: ChildProcess, seconds: number, port?: number): Promise<LoadReply> {
  return new Promise((done) => {
    clients.once('message', (m) => done(m as LoadReply));
    clients.send({ seconds, port } satisfies LoadRequest);
  });
}

function startClients(init: ClientsInit): ChildProcess {
  const env = { ...process.env, BENCH_SWAP_CLIENTS: JSON.stringify(init) };
  return fork(__filename, [], { env, serialization: 'advanced', stdio: 'inherit' });
}

function summarise(name: string, loads: LoadReply[], workload: Record<string, Cell>): PhaseResult {
  const sorted = Float64Array.from(loads.flatMap((l) => Array.from(l.latenciesMs))).sort();
  const seconds = loads.reduce((t, l) => t + l.seconds, 0);
  return {
    phase: name,
    requests: sorted.length,
    requestsPerSecond: sorted.length / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1],
    failed: loads.reduce((t, l) => t + l.failed, 0),
    errors: loads.flatMap((l) => l.errors).slice(0, 5),
    tensorsAfter: tf.memory().numTensors,
    rssMBAfter: process.memoryUsage.rss() / 2 ** 20,
    workload,
  };
}

async function phase(name: string, clients: ChildProcess, seconds: number, workload?: Workload): Promise<PhaseResult> {
  await workload?.start();
  const load = await runLoad(clients, seconds);
  return summarise(name, [load], (await workload?.stop()) ?? {});
}

/**
 * Idle with micro-batching (the main server) and without (a second server on
 * the same slot), in alternating slices so that noise from other processes
 * falls on both alike.
 */
async function idleWithAndWithout(
  clients: ChildProcess,
  seconds: number,
  unbatchedPort: number,
): Promise<PhaseResult[]> {
  const slices = 4;
  const batched: LoadReply[] = [];
  const single: LoadReply[] = [];
  for (let i = 0; i < slices; i++) {
    for (const which of i % 2 === 0 ? ['batched', 'single'] : ['single', 'batched']) {
      if (which === 'batched') batched.push(await runLoad(clients, seconds / slices));
      else single.push(await runLoad(clients, seconds / slices, unbatchedPort));
    }
  }
  return [summarise('idle', batched, {}), summarise('idle, no micro-batching', single, {})];
}

async function main(): Promise<void> {
  const clientsN = Number(option('clients', 'BENCH_CLIENTS', '8'));
  const seconds = Number(option('seconds', 'BENCH_SECONDS', '5'));
  const maxBatch = Number(option('max-batch', 'BENCH_MAX_BATCH', '32'));
  const pauseMs = Number(option('pause-ms', 'BENCH_PAUSE_MS', '100'));
  const backend = await selectBackend();
  const root = mkdtempSync(join(tmpdir(), 'deepend-bench-swap-'));
  const dirs: Record<number, string> = { 1: DEFAULT_MODEL, 2: await deeperCopy(root) };

  const slot = new ModelSlot('default');
  await slot.swap(await loadServedModel(dirs[1], 1));
  const server = await startServer({
    port: 0,
    slots: new Map([['default', slot]]),
    metrics: new Metrics(),
    status: () => ({}),
    maxBatch,
  });
  const unbatched = await startServer({
    port: 0,
    slots: new Map([['default', slot]]),
    metrics: new Metrics(),
    status: () => ({}),
    maxBatch: 1,
  });
  const url = `http://127.0.0.1:${serverPort(server)}/v1/models/default:predict`;
  const image = Array.from({ length: 784 }, (_, i) => Math.round((((i * 29) % 256) / 255) * 1000) / 1000);
  const clients = startClients({ url, body: JSON.stringify({ instances: [image] }), clients: clientsN });
  const tensorsBefore = tf.memory().numTensors;
  const rssBefore = process.memoryUsage.rss() / 2 ** 20;

  console.log(
    `bench:swap: ${clientsN} clients, ${seconds} s per phase, micro-batches up to ${maxBatch}, ${backend.name} backend, ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(2)}`,
  );
  await phase('warm-up', clients, 1);
  const results: PhaseResult[] = [];
  results.push(...(await idleWithAndWithout(clients, seconds, serverPort(unbatched))));
  results.push(...(await idleAndShadow(clients, seconds, slot, dirs[2])));
  results.push(await phase('during growth', clients, seconds, growthWorkload(root, backend.name)));
  results.push(await phase('during swaps', clients, seconds, swapWorkload(slot, dirs, pauseMs)));
  results.push(await phase('after', clients, seconds));

  clients.disconnect();
  await stopServer(server);
  await stopServer(unbatched);
  await slot.close();
  rmSync(root, { recursive: true, force: true });

  printTable(
    [
      'phase',
      'req/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      'failed',
      'swaps',
      'growth stage',
      'shadowed',
      'tensors',
      'RSS MB',
    ],
    results.map((r) => [
      r.phase,
      r.requestsPerSecond,
      r.p50Ms,
      r.p99Ms,
      r.maxMs,
      r.failed,
      r.workload.swaps ?? '-',
      r.workload.growthStage ?? '-',
      r.workload.shadowCompared !== undefined
        ? `${r.workload.shadowCompared} of ${Number(r.workload.shadowCompared) + Number(r.workload.shadowSkipped)}`
        : '-',
      r.tensorsAfter,
      r.rssMBAfter,
    ]),
  );
  const byName = (name: string) => results.find((r) => r.phase === name)!;
  const idle = byName('idle');
  const swaps = byName('during swaps');
  const failed = results.reduce((s, r) => s + r.failed, 0);
  const ratios = results
    .filter((r) => r.phase.startsWith('during growth'))
    .map((r) => `${r.phase}: ${(r.p99Ms / idle.p99Ms).toFixed(2)}x`);
  console.log(
    `tensors before ${tensorsBefore}, after every phase ${results.map((r) => r.tensorsAfter).join('/')}; RSS before ${rssBefore.toFixed(0)} MB`,
  );
  console.log(
    `swaps: ${swaps.workload.swaps}, p50 ${Number(swaps.workload.swapMsP50).toFixed(1)} ms, max ${Number(swaps.workload.swapMsMax).toFixed(1)} ms each (load from disk + warm-up + drain + dispose)`,
  );
  console.log(`p99 over idle p99 (target <= 3x): ${ratios.join(', ')}; failed requests: ${failed} (target 0)`);
  const shadow = byName('during a shadow run');
  const besideShadow = byName('idle (beside shadow)');
  console.log(
    `shadow run: p99 ${(shadow.p99Ms / besideShadow.p99Ms).toFixed(2)}x and p50 ${(shadow.p50Ms / besideShadow.p50Ms).toFixed(2)}x the interleaved idle slices' (target p99 <= 3x, as for growth); ${shadow.workload.shadowCompared} requests compared, ${shadow.workload.shadowSkipped} went by (at most a quarter of the serving thread)`,
  );
  for (const r of results) if (r.errors.length) console.log(`${r.phase}: ${r.errors.join('; ')}`);
  const path = writeResults('swap', {
    config: {
      clients: clientsN,
      seconds,
      maxBatch,
      pauseMs,
      backend: backend.name,
      cores: availableParallelism(),
      growthWorkload: 'the real growth process (startGrowth: dils to depth 4, niced child process)',
    },
    tensorsBefore,
    rssMBBefore: rssBefore,
    phases: results,
    p99OverIdle: Object.fromEntries(results.map((r) => [r.phase, r.p99Ms / idle.p99Ms])),
    shadowP99OverInterleavedIdle: shadow.p99Ms / besideShadow.p99Ms,
    failed,
  });
  console.log(`wrote ${path}`);
}

const clientsInit = process.env.BENCH_SWAP_CLIENTS;
if (clientsInit) {
  runClients(JSON.parse(clientsInit) as ClientsInit);
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
