// npm run bench:train [-- --seconds S --rounds R --cpu-seconds S --models mlp,cnn,resnet]
// Training throughput of an MLP (784-256-256-10) and a 2-conv CNN (16 and 32
// 3x3 filters, relu, 2x2 max-pooling, dense 10 softmax) with Adam on MNIST
// digits (the mnist package; random data if it cannot load), on every backend
// that loads here: wasm on one thread and data-parallel on all cores, plain JS
// capped to a few seconds, tfjs-node when installed. Warm-up is excluded; each
// wasm row is the median of interleaved rounds. Then our wasm kernels against
// the upstream ones they replace, deepend's own training loop with and without its changes to TF.js
// (scripts/lib/training-loop-bench.ts), and the per-kernel profile of a wasm step.
// Writes bench-results/train.json.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { tf, tfl } from '../src/tf';
import { BackendName, selectBackend } from '../src/compute/backend';
import { DataParallelTrainer, sparseCategoricalCrossEntropy } from '../src/compute/data-parallel';
import { replacedUpstream } from '../src/compute/wasm-kernels';
import { loadDataset } from '../src/data';
import { familySpec } from '../src/model/families';
import { buildModel as buildFamilyModel } from '../src/model/build';
import { Cell, option, printTable, writeResults } from './lib/table';
import { benchTrainingLoop } from './lib/training-loop-bench';

type ModelName = 'mlp' | 'cnn' | 'resnet';

/** The resnet family's custom layer, for worker threads to register. */
const FAMILY_LAYERS = [require.resolve('../src/model/scaled-add')];

function buildModel(name: ModelName): tfl.LayersModel {
  if (name === 'resnet')
    return buildFamilyModel(familySpec({ family: 'resnet', depth: 3, inputShape: [28, 28, 1], classes: 10 }), 1);
  const m = tfl.sequential();
  if (name === 'mlp') {
    m.add(tfl.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }));
    m.add(tfl.layers.dense({ units: 256, activation: 'relu' }));
  } else {
    m.add(
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
    );
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tfl.layers.flatten());
  }
  m.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
  return m;
}

interface Data {
  source: string;
  x: Float32Array;
  y: Int32Array;
  count: number;
}

async function loadData(count: number): Promise<Data> {
  try {
    const d = await loadDataset('mnist', { limit: count });
    return { source: 'mnist package digits', x: d.x, y: d.y, count: d.count };
  } catch (err) {
    console.log(`mnist digits did not load (${(err as Error).message}); using random data`);
    const x = Float32Array.from({ length: count * 784 }, () => Math.random());
    const y = Int32Array.from({ length: count }, (_, i) => i % 10);
    return { source: 'random', x, y, count };
  }
}

interface Config {
  backend: BackendName;
  model: ModelName;
  batch: number;
  threads: number;
}

interface Run extends Config {
  label: string;
  step(): Promise<void>;
  close(): Promise<void>;
  rounds: number[];
  steps: number;
}

/** A model, its Adam optimizer and a cycle over the data's batches, on the current backend. */
async function prepare(cfg: Config, data: Data): Promise<Run> {
  const model = buildModel(cfg.model);
  const optimizer = tf.train.adam(1e-3);
  const shape = cfg.model === 'mlp' ? [data.count, 784] : [data.count, 28, 28, 1];
  const x = tf.tensor(data.x, shape, 'float32');
  const y = tf.tensor1d(data.y, 'int32');
  const batches = Math.floor(data.count / cfg.batch);
  let next = 0;
  const batch = (): [tf.Tensor, tf.Tensor] => {
    const start = (next++ % batches) * cfg.batch;
    return [tf.slice(x, start, cfg.batch), tf.slice(y, start, cfg.batch)];
  };
  const parallel =
    cfg.threads > 1
      ? // Not adaptive: these rows measure sharing itself, even where computing alone would win.
        await DataParallelTrainer.start(model, {
          loss: 'sparseCategoricalCrossEntropy',
          workers: cfg.threads - 1,
          modules: FAMILY_LAYERS,
          adaptive: false,
        })
      : undefined;
  const step = async () => {
    const [xb, yb] = batch();
    if (parallel) {
      await parallel.step(xb, yb, optimizer);
    } else {
      const loss = optimizer.minimize(
        () => sparseCategoricalCrossEntropy(model.apply(xb, { training: true }) as tf.Tensor, yb),
        true,
      );
      loss?.dataSync();
      loss?.dispose();
    }
    tf.dispose([xb, yb]);
  };
  const close = async () => {
    await parallel?.close();
    model.dispose();
    optimizer.dispose();
    tf.dispose([x, y]);
  };
  const label = cfg.threads > 1 ? `${cfg.backend} x${cfg.threads} threads` : cfg.backend;
  return { ...cfg, label, step, close, rounds: [], steps: 0 };
}

/** Runs steps for at least `seconds` (and 3 steps); returns samples per second. */
async function timeRound(run: Run, seconds: number, minSteps = 3): Promise<number> {
  let steps = 0;
  const started = performance.now();
  while (steps < minSteps || performance.now() - started < seconds * 1000) {
    await run.step();
    steps++;
  }
  const ms = performance.now() - started;
  run.steps += steps;
  return (steps * run.batch * 1000) / ms;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function benchBackend(
  backend: BackendName,
  configs: Config[],
  data: Data,
  seconds: number,
  rounds: number,
  warmup: number,
): Promise<Run[]> {
  await selectBackend(backend);
  const runs: Run[] = [];
  for (const cfg of configs) runs.push(await prepare(cfg, data));
  for (const run of runs) for (let i = 0; i < warmup; i++) await run.step();
  // Interleaved rounds: load from other processes on the machine hits every row alike.
  for (let r = 0; r < rounds; r++) for (const run of runs) run.rounds.push(await timeRound(run, seconds));
  for (const run of runs) await run.close();
  return runs;
}

interface KernelCase {
  kernel: string;
  shape: string;
  inputs: () => tf.NamedTensorMap;
  attrs: tf.NamedAttrMap;
}

function kernelCases(): KernelCase[] {
  const r = (shape: number[]) => tf.randomNormal(shape);
  const pool = (x: number[], size: number, stride: number, pad: 'same' | 'valid'): KernelCase => ({
    kernel: 'MaxPoolGrad',
    shape: `x ${x.join('x')} pool ${size} stride ${stride} ${pad}`,
    inputs: () => {
      const input = tf.relu(r(x));
      const output = tf.maxPool(input as tf.Tensor4D, size, stride, pad);
      return { input, output, dy: r(output.shape) };
    },
    attrs: { filterSize: size, strides: stride, pad },
  });
  const backpropInput = (stride: number): KernelCase => ({
    kernel: 'Conv2DBackpropInput',
    shape: `dy 64x${14 / stride}x${14 / stride}x32 -> dx 64x14x14x16 3x3 stride ${stride}`,
    inputs: () => ({ dy: r([64, 14 / stride, 14 / stride, 32]), filter: r([3, 3, 16, 32]) }),
    attrs: { strides: stride, pad: 'same', dataFormat: 'NHWC', inputShape: [64, 14, 14, 16] },
  });
  // 64 rows in a scattered order (Knuth's multiplicative hash), as a shuffled epoch takes them
  const shuffledBatch = (dataset: number[]): KernelCase => ({
    kernel: 'GatherV2',
    shape: `a shuffled batch of 64 from a ${dataset.join('x')} dataset tensor`,
    inputs: () => ({
      x: r(dataset),
      indices: tf.tensor1d(
        Array.from({ length: 64 }, (_, i) => (i * 2654435761) % dataset[0]),
        'int32',
      ),
    }),
    attrs: { axis: 0, batchDims: 0 },
  });
  return [
    {
      kernel: 'Conv2DBackpropFilter',
      shape: 'x 64x28x28x1 dy 64x28x28x16 3x3 same',
      inputs: () => ({ x: r([64, 28, 28, 1]), dy: r([64, 28, 28, 16]) }),
      attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 16] },
    },
    {
      kernel: 'Conv2DBackpropFilter',
      shape: 'x 64x14x14x16 dy 64x14x14x32 3x3 same',
      inputs: () => ({ x: r([64, 14, 14, 16]), dy: r([64, 14, 14, 32]) }),
      attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 16, 32] },
    },
    backpropInput(1),
    backpropInput(2),
    {
      kernel: 'Conv2DBackpropInput',
      shape: 'dy 64x7x7x64 -> dx 64x14x14x32 1x1 stride 2 (resnet projection)',
      inputs: () => ({ dy: r([64, 7, 7, 64]), filter: r([1, 1, 32, 64]) }),
      attrs: { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [64, 14, 14, 32] },
    },
    pool([64, 28, 28, 16], 2, 2, 'valid'),
    pool([64, 14, 14, 32], 2, 2, 'valid'),
    pool([64, 28, 28, 16], 3, 2, 'same'),
    {
      kernel: 'BatchMatMul',
      shape: 'X^T dY: 784x64 . 64x256 (transposeA)',
      inputs: () => ({ a: r([64, 784]), b: r([64, 256]) }),
      attrs: { transposeA: true, transposeB: false },
    },
    {
      kernel: 'BatchMatMul',
      shape: 'dY W^T: 64x256 . 256x784 (transposeB)',
      inputs: () => ({ a: r([64, 256]), b: r([784, 256]) }),
      attrs: { transposeA: false, transposeB: true },
    },
    {
      kernel: 'Slice',
      shape: 'batch of 64 from a 4096x784 dataset tensor',
      inputs: () => ({ x: r([4096, 784]) }),
      attrs: { begin: [1024, 0], size: [64, 784] },
    },
    shuffledBatch([4096, 784]),
    shuffledBatch([4096, 28, 28, 1]),
    {
      kernel: 'Identity',
      shape: 'clone of 64x28x28x16 (the engine saves tensors for backprop this way)',
      inputs: () => ({ x: r([64, 28, 28, 16]) }),
      attrs: {},
    },
    {
      kernel: 'Tile',
      shape: '1x1x1x16 -> 64x28x28x16 (broadcastTo in BatchNorm gradients)',
      inputs: () => ({ x: r([1, 1, 1, 16]) }),
      attrs: { reps: [64, 28, 28, 1] },
    },
    {
      kernel: 'Multiply',
      shape: '64x28x28x16 * [16] (per-channel broadcast)',
      inputs: () => ({ a: r([64, 28, 28, 16]), b: r([16]) }),
      attrs: {},
    },
    {
      kernel: 'FusedBatchNorm',
      shape: '64x28x28x16, per-channel mean/variance/offset/scale',
      inputs: () => ({
        x: r([64, 28, 28, 16]),
        mean: r([16]),
        variance: tf.add(tf.abs(r([16])), 0.5),
        offset: r([16]),
        scale: r([16]),
      }),
      attrs: { varianceEpsilon: 1e-3 },
    },
    {
      kernel: 'Mean',
      shape: '64x28x28x16 over axes 0,1,2 (BatchNorm statistics)',
      inputs: () => ({ x: r([64, 28, 28, 16]) }),
      attrs: { axis: [0, 1, 2], keepDims: false },
    },
    {
      kernel: 'Sum',
      shape: 'bias gradient: 64x28x28x16 over axes 0,1,2',
      inputs: () => ({ x: r([64, 28, 28, 16]) }),
      attrs: { axis: [0, 1, 2], keepDims: false },
    },
  ];
}

type KernelFn = (args: {
  inputs: tf.NamedTensorMap;
  attrs: tf.NamedAttrMap;
  backend: tf.KernelBackend;
}) => tf.TensorInfo;

/** Median milliseconds of a kernel function called straight, as the engine would. */
function timeKernel(fn: KernelFn, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap, budgetMs: number): number {
  const backend = tf.backend();
  const once = () => {
    const started = performance.now();
    const out = fn({ inputs, attrs, backend });
    const ms = performance.now() - started;
    backend.disposeData(out.dataId);
    return ms;
  };
  const times = [once()];
  const started = performance.now();
  while (times.length < 5 || (times.length < 50 && performance.now() - started < budgetMs)) times.push(once());
  return median(times.slice(1));
}

interface KernelResult {
  kernel: string;
  shape: string;
  upstreamMs?: number;
  oursMs: number;
  speedup?: number;
}

async function benchKernels(): Promise<KernelResult[]> {
  await selectBackend('wasm');
  const results: KernelResult[] = [];
  for (const c of kernelCases()) {
    const inputs = c.inputs();
    const ours = tf.getKernel(c.kernel, 'wasm').kernelFunc as unknown as KernelFn;
    const upstream = replacedUpstream(c.kernel) as unknown as KernelFn | undefined;
    const oursMs = timeKernel(ours, inputs, c.attrs, 400);
    const upstreamMs = upstream ? timeKernel(upstream, inputs, c.attrs, 1500) : undefined;
    results.push({
      kernel: c.kernel,
      shape: c.shape,
      upstreamMs,
      oursMs,
      speedup: upstreamMs !== undefined ? upstreamMs / oursMs : undefined,
    });
    tf.dispose(Object.values(inputs));
  }
  return results;
}

interface ProfileRow {
  kernel: string;
  ms: number;
  calls: number;
}

/** Per-kernel wall time of one training step on the wasm backend (after warm-up). */
async function profileStep(
  name: ModelName,
  batch: number,
  data: Data,
): Promise<{ stepMs: number; kernels: ProfileRow[] }> {
  await selectBackend('wasm');
  const run = await prepare({ backend: 'wasm', model: name, batch, threads: 1 }, data);
  for (let i = 0; i < 5; i++) await run.step();
  const started = performance.now();
  const info = await tf.profile(() => run.step() as unknown as tf.TensorContainer);
  const stepMs = performance.now() - started;
  await run.close();
  const byName = new Map<string, ProfileRow>();
  for (const k of info.kernels) {
    const row = byName.get(k.name) ?? { kernel: k.name, ms: 0, calls: 0 };
    const t = await k.kernelTimeMs;
    row.ms += typeof t === 'number' ? t : 0;
    row.calls++;
    byName.set(k.name, row);
  }
  return { stepMs, kernels: [...byName.values()].sort((a, b) => b.ms - a.ms) };
}

async function available(backend: BackendName): Promise<string | undefined> {
  try {
    await selectBackend(backend);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

async function run(): Promise<void> {
  const seconds = Number(option('seconds', 'BENCH_SECONDS', '2'));
  const rounds = Number(option('rounds', 'BENCH_ROUNDS', '3'));
  const cpuSeconds = Number(option('cpu-seconds', 'BENCH_CPU_SECONDS', '3'));
  const models = new Set(option('models', 'BENCH_MODELS', 'mlp,cnn,resnet').split(','));
  const cores = availableParallelism();
  const data = await loadData(4096);
  const load = loadavg();
  console.log(
    `bench:train  ${cores} cores (${cpus()[0]?.model ?? '?'})  node ${process.version}  data: ${data.source} (${data.count} samples)  load average ${load.map((l) => l.toFixed(2)).join(' ')}`,
  );

  const unavailable: { backend: string; reason: string }[] = [];
  const runs: Run[] = [];
  const wasmThreads = cores > 1 ? [1, cores] : [1];
  const wasmConfigs: Config[] = [];
  for (const [model, batches] of [
    ['mlp', [64, 256]],
    ['cnn', [64, 128]],
    ['resnet', [64]],
  ] as const) {
    if (!models.has(model)) continue;
    for (const batch of batches)
      for (const threads of wasmThreads) wasmConfigs.push({ backend: 'wasm', model, batch, threads });
  }
  for (const backend of ['tensorflow', 'wasm', 'cpu'] as BackendName[]) {
    const reason = await available(backend);
    if (reason) {
      unavailable.push({ backend, reason });
      continue;
    }
    if (backend === 'wasm') {
      runs.push(...(await benchBackend('wasm', wasmConfigs, data, seconds, rounds, 5)));
    } else if (backend === 'cpu') {
      // The plain JS backend is 10-500x slower: one short round, a small CNN batch.
      const configs = (
        [
          { backend, model: 'mlp', batch: 64, threads: 1 },
          { backend, model: 'cnn', batch: 16, threads: 1 },
        ] as Config[]
      ).filter((c) => models.has(c.model));
      runs.push(...(await benchBackend('cpu', configs, data, cpuSeconds, 1, 1)));
    } else {
      const configs = wasmConfigs.filter((c) => c.threads === 1).map((c) => ({ ...c, backend }));
      runs.push(...(await benchBackend(backend, configs, data, seconds, rounds, 5)));
    }
  }

  console.log('\nTraining throughput (Adam, warm-up excluded; median of rounds)');
  const rows: Cell[][] = runs.map((r) => {
    const sps = median(r.rounds);
    return [
      r.label,
      r.model,
      r.batch,
      Math.round(sps),
      (r.batch * 1000) / sps,
      r.rounds.map((v) => Math.round(v)).join(' '),
    ];
  });
  printTable(['backend', 'model', 'batch', 'samples/s', 'ms/step', 'rounds'], rows);
  for (const u of unavailable) console.log(`(${u.backend} not available: ${u.reason.split('\n')[0]})`);

  console.log('\nwasm kernels: upstream vs ours (median ms per call)');
  const kernels = await benchKernels();
  printTable(
    ['kernel', 'shape', 'upstream ms', 'ours ms', 'speed-up'],
    kernels.map((k) => [
      k.kernel,
      k.shape,
      k.upstreamMs ?? 'missing',
      k.oursMs,
      k.speedup !== undefined ? `${k.speedup.toFixed(1)}x` : '-',
    ]),
  );

  console.log("\ndeepend's training loop on wasm (trainClassifier, one epoch, batch 64): as TF.js ships vs deepend's");
  const loop = await benchTrainingLoop(data, rounds);
  printTable(
    ['model', 'shipped samples/s', 'deepend samples/s', 'speed-up'],
    loop.map((l) => [
      l.model,
      Math.round(median(l.shipped)),
      Math.round(median(l.ours)),
      `${(median(l.ours) / median(l.shipped)).toFixed(2)}x`,
    ]),
  );

  const profiles: Record<string, { batch: number; stepMs: number; kernels: ProfileRow[] }> = {};
  for (const [name, batch] of [
    ['cnn', 64],
    ['mlp', 64],
    ['resnet', 64],
  ] as const) {
    if (!models.has(name)) continue;
    const p = await profileStep(name, batch, data);
    profiles[name] = { batch, ...p };
    console.log(`\nwasm ${name} step, batch ${batch}: ${p.stepMs.toFixed(1)} ms profiled; top kernels`);
    printTable(
      ['kernel', 'ms', 'calls'],
      p.kernels.slice(0, 8).map((k) => [k.kernel, k.ms, k.calls]),
    );
  }

  const path = writeResults('train', {
    date: new Date().toISOString(),
    machine: {
      cores,
      cpu: cpus()[0]?.model,
      node: process.version,
      loadAverageAtStart: load,
      loadAverageAtEnd: loadavg(),
    },
    data: data.source,
    optimizer: 'adam(1e-3)',
    results: runs.map((r) => ({
      backend: r.backend,
      threads: r.threads,
      model: r.model,
      batch: r.batch,
      samplesPerSecond: median(r.rounds),
      msPerStep: (r.batch * 1000) / median(r.rounds),
      rounds: r.rounds,
      timedSteps: r.steps,
    })),
    unavailable,
    kernels,
    trainingLoop: loop.map((l) => ({
      ...l,
      shippedSamplesPerSecond: median(l.shipped),
      oursSamplesPerSecond: median(l.ours),
    })),
    profiles,
  });
  console.log(`\nwrote ${path}`);
}

run().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
