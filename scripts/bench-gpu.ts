// npm run bench:gpu [-- --seconds S --rounds R --batches 64,256,1024]
// Training throughput (samples/s) of the MLP 784-256-256-10 (relu, softmax,
// Adam, cross-entropy) at batch 64, 256 and 1024 on each backend that loads:
// TF.js wasm (one thread, the path deepend trains on today) and deepend's own
// WebGPU trainer on Dawn (whatever adapter Dawn finds: lavapipe, a software
// Vulkan, on a machine without a GPU). Each round times whole steps from the
// batch upload to the step's loss being ready (wasm: dataSync of the loss;
// WebGPU: losses read back, every queued step finished). Warm-up excluded;
// the figure is the median of interleaved rounds. Writes
// bench-results/gpu-<adapter>.json.
import { cpus, loadavg } from 'node:os';
import { tf, tfl } from '../src/tf';
import { selectBackend } from '../src/compute/backend';
import { adapterFacts, describeAdapter, WebGpuAdapterFacts } from '../src/compute/webgpu/adapter';
import { requestAdapter, requestDevice } from '../src/compute/webgpu/dawn';
import { firstLine } from '../src/util/deepend-error';
import { loadDataset } from '../src/data';
import { classifierLoss } from '../src/train/classifier';
import { planOf } from '../src/train/webgpu/plan';
import { WebGpuTrainer } from '../src/train/webgpu/trainer';
import { Cell, option, printTable, writeResults } from './lib/table';

interface Data {
  source: string;
  x: Float32Array;
  y: Int32Array;
  count: number;
}

interface Runner {
  backend: string;
  batch: number;
  /** Runs `steps` steps and resolves when their results are ready. */
  run(steps: number): Promise<void>;
  close(): Promise<void>;
  rounds: number[];
}

function mlp(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }));
  m.add(tfl.layers.dense({ units: 256, activation: 'relu' }));
  m.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
  return m;
}

async function loadData(count: number): Promise<Data> {
  try {
    const d = await loadDataset('mnist', { limit: count });
    return { source: 'mnist package digits', x: d.x, y: d.y, count: d.count };
  } catch (err) {
    console.log(`mnist digits did not load (${firstLine(err)}); using random data`);
    const x = Float32Array.from({ length: count * 784 }, () => Math.random());
    const y = Int32Array.from({ length: count }, (_, i) => i % 10);
    return { source: 'random', x, y, count };
  }
}

/** The batch starting at sample (i * batch) mod count, copied out as the upload would take it. */
function batchAt(data: Data, batch: number, i: number): { x: Float32Array; y: Int32Array } {
  const batches = Math.max(1, Math.floor(data.count / batch));
  const start = (i % batches) * batch;
  return { x: data.x.subarray(start * 784, (start + batch) * 784), y: data.y.subarray(start, start + batch) };
}

function wasmRunner(data: Data, batch: number): Runner {
  const model = mlp();
  const optimizer = tf.train.adam(1e-3);
  let i = 0;
  return {
    backend: 'wasm',
    batch,
    rounds: [],
    async run(steps) {
      for (let s = 0; s < steps; s++) {
        const b = batchAt(data, batch, i++);
        tf.tidy(() => {
          const x = tf.tensor2d(b.x, [batch, 784]);
          const y = tf.tensor1d(b.y, 'int32');
          const loss = optimizer.minimize(
            () => classifierLoss(model.apply(x, { training: true }) as tf.Tensor, y, 10),
            true,
          );
          loss?.dataSync();
        });
      }
    },
    async close() {
      model.dispose();
      optimizer.dispose();
    },
  };
}

async function webgpuRunner(device: GPUDevice, data: Data, batch: number): Promise<Runner> {
  const model = mlp();
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  const trainer = await WebGpuTrainer.create(device, planOf(model), weights, {
    maxBatch: batch,
    learningRate: 1e-3,
    lossEvery: 16,
  });
  model.dispose();
  const labels = new Uint32Array(batch);
  let i = 0;
  return {
    backend: 'deepend-webgpu',
    batch,
    rounds: [],
    async run(steps) {
      for (let s = 0; s < steps; s++) {
        const b = batchAt(data, batch, i++);
        labels.set(b.y);
        await trainer.step(b.x, labels, batch);
      }
      const losses = await trainer.losses();
      if (!Number.isFinite(losses.at(-1)!)) throw new Error('the WebGPU loss is not finite');
    },
    async close() {
      trainer.destroy();
    },
  };
}

/** Steps in chunks until `seconds` have passed (at least 2 steps); samples per second. */
async function timeRound(r: Runner, seconds: number): Promise<number> {
  let steps = 0;
  let chunk = 1;
  const started = performance.now();
  while (steps < 2 || performance.now() - started < seconds * 1000) {
    await r.run(chunk);
    steps += chunk;
    chunk = Math.min(chunk * 2, 16);
  }
  return (steps * r.batch * 1000) / (performance.now() - started);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function adapterTag(a: WebGpuAdapterFacts | null): string {
  if (!a) return 'no-adapter';
  if (/llvmpipe|lavapipe/i.test(`${a.device} ${a.description}`)) return 'lavapipe';
  return `${a.vendor}-${a.architecture || a.device}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/-+$/, '');
}

async function main(): Promise<void> {
  const seconds = Number(option('seconds', 'BENCH_SECONDS', '3'));
  const rounds = Number(option('rounds', 'BENCH_ROUNDS', '2'));
  const batches = option('batches', 'BENCH_BATCHES', '64,256,1024').split(',').map(Number);
  const data = await loadData(Math.max(2048, ...batches));
  const skipped: string[] = [];
  const runners: Runner[] = [];

  await selectBackend('wasm');
  for (const b of batches) runners.push(wasmRunner(data, b));

  let adapter: WebGpuAdapterFacts | null = null;
  let device: GPUDevice | undefined;
  try {
    const a = await requestAdapter();
    adapter = adapterFacts(a);
    device = await requestDevice(a);
    for (const b of batches) runners.push(await webgpuRunner(device, data, b));
  } catch (err) {
    skipped.push(`deepend-webgpu: ${firstLine(err)}`);
  }
  skipped.push('tfjs-webgpu: not installed (TF.js records a step op by op: see docs/design/gpu.md)');
  skipped.push('tensorflow (tfjs-node-gpu): not installed here');
  console.log(
    `data: ${data.source}; adapter: ${describeAdapter(adapter ? { adapter } : { adapter: null, reason: skipped[0] })}`,
  );

  for (const r of runners) await r.run(2); // warm-up: pipelines, first uploads, wasm's first kernels
  for (let round = 0; round < rounds; round++) for (const r of runners) r.rounds.push(await timeRound(r, seconds));
  for (const r of runners) await r.close();
  device?.destroy();

  const rows: Cell[][] = runners.map((r) => [
    r.backend,
    r.batch,
    Math.round(median(r.rounds)),
    r.rounds.map((v) => Math.round(v)).join(' / '),
  ]);
  printTable(['backend', 'batch', 'samples/s', 'rounds'], rows);
  for (const s of skipped) console.log(`not measured: ${s}`);
  const path = writeResults(`gpu-${adapterTag(adapter)}`, {
    benchmark: 'bench:gpu',
    model: 'MLP 784-256-256-10 (relu, softmax), Adam 1e-3, cross-entropy',
    timing: 'median of interleaved rounds; each round from the batch upload to the step results being ready',
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} x${cpus().length}`,
    loadavg: loadavg(),
    data: data.source,
    adapter,
    seconds,
    rounds,
    results: runners.map((r) => ({
      backend: r.backend,
      batch: r.batch,
      samplesPerSecond: median(r.rounds),
      rounds: r.rounds,
    })),
    notMeasured: skipped,
  });
  console.log(`wrote ${path}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
