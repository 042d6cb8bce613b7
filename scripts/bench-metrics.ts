// npm run bench:metrics [-- --requests N --scrapes N --label TEXT]
// The cost of deepend's /metrics registry, on the daemon's own metric set (registerServeMetrics, one model slot, a job
// state): (a) the request path, one labelled counter increment and one labelled histogram observation per request,
// as server.ts records each model API request; (b) scrapes, the whole registry rendered to the text format as GET
// /metrics does, callback metrics (versions, job state, memory) included. Both after a short warm-up. Uses only the
// Metrics API that the hand-written registry and the prom-client one share, so the same file measures either commit.
// Prints a table and writes bench-results/metrics.json.
import { gitHead } from './lib/git-head';
import { availableParallelism, loadavg } from 'node:os';
import { selectBackend } from '../src/compute/backend';
import { Metrics } from '../src/serve/metrics';
import { ModelSlot } from '../src/serve/model-slot';
import { registerServeMetrics } from '../src/serve/serve-metrics';
import { JOB_STATES } from '../src/store/job-states';
import { option, printTable, writeResults } from './lib/table';

const MODELS = ['default', 'digits'];
const CODES = ['200', '200', '200', '200', '200', '200', '400', '404', '500', '503'];

/** What registerServeMetrics reads of a slot, without loading a model. */
function fakeSlot(version: number): ModelSlot {
  return {
    current: () => ({ version, meta: { depth: 4 } }),
    versions: () => [{ version, state: 'AVAILABLE', inFlight: 1 }],
    swaps: { ok: 3, failed: 1, drained: 0 },
  } as unknown as ModelSlot;
}

/** Latencies spread over the buckets (0.1 ms to about 6 s), the same sequence every run. */
function latency(i: number): number {
  return 0.0001 * 1.7 ** ((i * 7919) % 21);
}

async function run(): Promise<void> {
  const requests = Number(option('requests', 'BENCH_REQUESTS', '1000000'));
  const scrapes = Number(option('scrapes', 'BENCH_SCRAPES', '2000'));
  const label = option('label', 'BENCH_LABEL', gitHead());
  const backend = await selectBackend();
  const metrics = new Metrics();
  const slots = new Map(MODELS.map((name, i) => [name, fakeSlot(i + 1)]));
  const m = registerServeMetrics(metrics, slots, { states: JOB_STATES, current: () => 'growing' });
  const record = (i: number) => {
    const model = MODELS[i % MODELS.length];
    m.requests.inc({ model, code: CODES[i % CODES.length] });
    m.duration.observe({ model }, latency(i));
  };

  for (let i = 0; i < 20_000; i++) record(i);
  for (let i = 0; i < 50; i++) await metrics.render();

  let began = process.hrtime.bigint();
  for (let i = 0; i < requests; i++) record(i);
  const recordSeconds = Number(process.hrtime.bigint() - began) / 1e9;

  let bytes = 0;
  began = process.hrtime.bigint();
  for (let i = 0; i < scrapes; i++) bytes = (await metrics.render()).length;
  const scrapeSeconds = Number(process.hrtime.bigint() - began) / 1e9;

  const load = loadavg()[0];
  console.log(
    `bench:metrics  ${label}  node ${process.version}  ${backend.name} backend  ${availableParallelism()} cores  load average ${load.toFixed(2)}`,
  );
  const rows = [
    {
      what: 'requests (counter inc + histogram observe, labelled)',
      n: requests,
      seconds: recordSeconds,
      perOpMicroseconds: (recordSeconds / requests) * 1e6,
    },
    {
      what: `scrapes (whole registry, ${bytes} bytes)`,
      n: scrapes,
      seconds: scrapeSeconds,
      perOpMicroseconds: (scrapeSeconds / scrapes) * 1e6,
    },
  ];
  printTable(
    ['what', 'n', 'seconds', 'µs each'],
    rows.map((r) => [r.what, r.n, Number(r.seconds.toFixed(3)), Number(r.perOpMicroseconds.toFixed(3))]),
  );
  const path = writeResults('metrics', {
    label,
    node: process.version,
    backend: backend.name,
    cores: availableParallelism(),
    loadAverage: load,
    scrapeBytes: bytes,
    rows,
  });
  console.log(`\nwrote ${path}`);
}

void run().catch((err) => {
  console.error(`bench:metrics: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
