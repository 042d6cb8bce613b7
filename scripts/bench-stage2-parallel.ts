// node dist/scripts/bench-stage2-parallel.js [--steps N] [--rounds R]
// Is the data-parallel trainer faster for Stage II here? Trains the shipped
// model grown to depth 4 (identity insertion) on the shipped digits, batch 64
// with Adam, for N steps on the calling thread alone and N steps shared with
// one worker thread (not adaptive), alternating R rounds; prints samples/s and
// the load average. Writes bench-results/stage2-parallel.json.
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { tf } from '../src/tf';
import { selectBackend } from '../src/compute/backend';
import { DataParallelTrainer } from '../src/compute/data-parallel';
import { loadSplitForModel } from '../src/data/for-model';
import { identityMethod } from '../src/grow/methods/identity';
import { spreadPlan } from '../src/grow/planner';
import { classifierLoss } from '../src/train/classifier';
import { toTensorSet } from '../src/train/tensors';
import { loadModel } from '../src/model/io';
import { option, printTable, writeResults } from './lib/table';

const MODEL = resolve(__dirname, '../../models/default');
const BATCH = 64;

async function run(): Promise<void> {
  const steps = Number(option('steps', 'BENCH_STEPS', '40'));
  const rounds = Number(option('rounds', 'BENCH_ROUNDS', '2'));
  const backend = await selectBackend();
  const parent = await loadModel(MODEL);
  const split = await loadSplitForModel('mnist', parent.meta);
  const train = toTensorSet(
    split.train,
    parent.meta.normalisation,
    parent.meta.arch.classes,
    parent.meta.arch.output,
    parent.meta.inputShape,
  );
  const plan = spreadPlan(parent.meta.arch, 4);
  const { model } = await identityMethod.initialise({
    parent: parent.model,
    parentSpec: parent.meta.arch,
    plan,
    data: { train, validation: train },
    budget: { epochs: 1 },
    batchSize: BATCH,
    learningRate: 5e-4,
    seed: 1,
  });
  const optimizer = tf.train.adam(5e-4);
  const batch = (i: number) => {
    const start = (i * BATCH) % (train.count - BATCH);
    return { x: tf.slice(train.x, start, BATCH), y: tf.slice(train.labels, start, BATCH) };
  };
  const alone = () => {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      const { x, y } = batch(i);
      tf.tidy(() => {
        optimizer.minimize(
          () => classifierLoss(model.apply(x, { training: true }) as tf.Tensor, y as tf.Tensor1D, train.classes),
          false,
        );
      });
      x.dispose();
      y.dispose();
    }
    return (steps * BATCH) / ((performance.now() - t0) / 1000);
  };
  const trainer = await DataParallelTrainer.start(model, {
    loss: 'sparseCategoricalCrossEntropy',
    workers: 1,
    adaptive: false,
  });
  const shared = async () => {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      const { x, y } = batch(i);
      await trainer.step(x, y, optimizer);
      x.dispose();
      y.dispose();
    }
    return (steps * BATCH) / ((performance.now() - t0) / 1000);
  };
  alone(); // warm-up: kernels, first allocations
  await shared();
  const rows: { round: number; alone: number; parallel: number; load1: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    const a = alone();
    const p = await shared();
    rows.push({ round: r + 1, alone: a, parallel: p, load1: loadavg()[0] });
  }
  await trainer.close();
  printTable(
    ['round', 'alone samples/s', '2 threads samples/s', 'load avg (1 min)'],
    rows.map((r) => [r.round, Math.round(r.alone), Math.round(r.parallel), Number(r.load1.toFixed(2))]),
  );
  console.log(
    `\nwrote ${writeResults('stage2-parallel', { backend: backend.name, steps, batch: BATCH, model: 'shipped, grown to depth 4', rows })}`,
  );
}

void run().catch((err) => {
  console.error(`bench:stage2-parallel: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
