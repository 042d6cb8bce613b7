// node dist/scripts/bench-stage2.js [--seconds S] [--seeds 1,1001,2001] [--methods dils,identity] [--to-depth N] [--stage2 full|schedule|constant] [--name FILE]
// Seeds x methods on the shipped model and digits under one wall-time budget:
// held-out accuracy per run, then mean, spread (sample standard deviation),
// worst run and how many ended below the parent. Writes bench-results/FILE.json.
// --stage2: full = schedule + early stopping + best checkpoint (the default);
// schedule = the schedule alone; constant = one fixed rate to the end (as before).
import { resolve } from 'node:path';
import { selectBackend } from '../src/compute/backend';
import { loadSplitForModel } from '../src/data/for-model';
import { grow } from '../src/grow/run';
import { Stage2Options } from '../src/grow/stage2';
import { GrowReport } from '../src/grow/report';
import { loadModel } from '../src/model/io';
import { option, printTable, writeResults } from './lib/table';

const MODEL = resolve(__dirname, '../../models/default');

function meanAndSpread(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, sd };
}

const STAGE2: Record<string, Stage2Options> = {
  full: {},
  schedule: { earlyStop: false, keep: 'last' },
  constant: { schedule: 'constant', earlyStop: false, keep: 'last' },
};

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

async function run(): Promise<void> {
  const seconds = Number(option('seconds', 'BENCH_SECONDS', '20'));
  const toDepth = Number(option('to-depth', 'BENCH_TO_DEPTH', '4'));
  const seeds = option('seeds', 'BENCH_SEEDS', '1,1001,2001').split(',').map(Number);
  const methods = option('methods', 'BENCH_METHODS', 'dils,identity').split(',');
  const name = option('name', 'BENCH_NAME', 'stage2');
  const stage2Name = option('stage2', 'BENCH_STAGE2', 'full');
  const stage2 = STAGE2[stage2Name];
  if (!stage2) throw new Error(`--stage2 must be ${Object.keys(STAGE2).join(', ')}, got '${stage2Name}'`);
  const backend = await selectBackend();
  const probe = await loadModel(MODEL);
  const split = await loadSplitForModel('mnist', probe.meta);
  probe.model.dispose();
  console.log(
    `bench:stage2  backend=${backend.name}  to depth ${toDepth}  ${seconds}s each  stage2 ${stage2Name}  seeds ${seeds.join(',')}  train ${split.counts.train} / val ${split.counts.validation} / held-out ${split.counts.test}`,
  );
  const runs: { method: string; seed: number; report: GrowReport }[] = [];
  for (const method of methods) {
    for (const seed of seeds) {
      const parent = await loadModel(MODEL);
      const { model, report } = await grow({
        parent,
        method: method as never,
        toDepth,
        split,
        budget: { seconds },
        seed,
        stage2,
        backend: backend.name,
      });
      model.dispose();
      parent.model.dispose();
      runs.push({ method, seed, report });
      const s2 = report.stage2;
      const kept = s2.kept
        ? ` kept step ${s2.kept.steps}${s2.kept.atStart ? ' (start)' : ''} val ${pct(s2.kept.validationAccuracy)}`
        : '';
      console.log(
        `  ${method} seed ${seed}: ${pct(report.accuracyBefore)} -> ${pct(report.accuracyAfterInsertion)} -> ${pct(report.accuracyAfter)} in ${report.seconds.toFixed(1)}s; stage2 ${s2.steps} steps, stopped by ${s2.stoppedBy}${kept}`,
      );
    }
  }
  const summary = methods.map((method) => {
    const mine = runs.filter((r) => r.method === method).map((r) => r.report);
    const after = mine.map((r) => r.accuracyAfter);
    const { mean, sd } = meanAndSpread(after);
    return {
      method,
      runs: mine.length,
      mean,
      sd,
      worst: Math.min(...after),
      belowParent: mine.filter((r) => r.accuracyAfter < r.accuracyBefore - 0.001).length,
    };
  });
  console.log('');
  printTable(
    ['method', 'runs', 'mean held-out', 'sd (pts)', 'worst', 'below parent'],
    summary.map((s) => [s.method, s.runs, pct(s.mean), Number((s.sd * 100).toFixed(2)), pct(s.worst), s.belowParent]),
  );
  const path = writeResults(name, {
    backend: backend.name,
    seconds,
    toDepth,
    seeds,
    stage2: stage2Name,
    split: split.counts,
    summary,
    runs: runs.map(({ method, seed, report: r }) => ({
      method,
      seed,
      accuracyBefore: r.accuracyBefore,
      accuracyAfterInsertion: r.accuracyAfterInsertion,
      accuracyAfter: r.accuracyAfter,
      seconds: r.seconds,
      initSeconds: r.initSeconds,
      stage2: r.stage2,
      auto: (r as GrowReport & { auto?: unknown }).auto,
    })),
  });
  console.log(`\nwrote ${path}`);
}

void run().catch((err) => {
  console.error(`bench:stage2: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
