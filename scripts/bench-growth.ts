// npm run bench:growth [-- --seconds S --to-depth N --methods a,b,c]
// Every growth method and both baselines grow the shipped model on the shipped
// data under the same wall-time budget; prints held-out accuracy right after
// insertion and after fine-tuning, and the time each needs to reach scratch's
// final validation accuracy.
import { resolve } from 'node:path';
import { selectBackend } from '../src/compute/backend';
import { loadSplitForModel } from '../src/data/for-model';
import { grow } from '../src/grow/run';
import { GrowReport } from '../src/grow/report';
import { BASELINES, GROWTH_METHODS, GrowthMethodName, BaselineName } from '../src/grow/types';
import { loadModel } from '../src/model/io';
import { DEFAULT_LEARNING_RATE } from '../src/train/classifier';
import { option, printTable, writeResults } from './lib/table';

const MODEL = resolve(__dirname, '../../models/default');

interface Timeline {
  points: { seconds: number; accuracy: number }[];
}

/** Validation accuracy at each epoch end, on the wall clock of the whole growth run. */
function timeline(report: GrowReport): Timeline {
  return {
    points: report.curves.flatMap((c) =>
      c.checkpoints?.length
        ? c.checkpoints.map((p) => ({ seconds: (c.startSeconds ?? 0) + p.seconds, accuracy: p.validationAccuracy }))
        : c.epochs
            .filter((e) => e.validationAccuracy !== undefined)
            .map((e) => ({ seconds: (c.startSeconds ?? 0) + e.seconds, accuracy: e.validationAccuracy! })),
    ),
  };
}

function timeToReach(t: Timeline, target: number): number | undefined {
  return t.points.find((p) => p.accuracy >= target)?.seconds;
}

async function run(): Promise<void> {
  const seconds = Number(option('seconds', 'BENCH_SECONDS', '60'));
  const toDepth = Number(option('to-depth', 'BENCH_TO_DEPTH', '4'));
  const names = option('methods', 'BENCH_METHODS', [...GROWTH_METHODS, ...BASELINES].join(',')).split(',') as (
    | GrowthMethodName
    | BaselineName
  )[];
  const backend = await selectBackend();
  const probe = await loadModel(MODEL);
  const split = await loadSplitForModel('mnist', probe.meta);
  probe.model.dispose();
  console.log(
    `bench:growth  backend=${backend.name}  model=${MODEL} (depth ${probe.meta.depth})  to depth ${toDepth}  budget ${seconds}s each  data=mnist train ${split.counts.train} / val ${split.counts.validation} / held-out ${split.counts.test}`,
  );
  const reports: GrowReport[] = [];
  for (const name of names) {
    const parent = await loadModel(MODEL);
    const started = performance.now();
    const { model, report } = await grow({
      parent,
      method: name,
      toDepth,
      split,
      budget: { seconds },
      learningRate: name === 'scratch' ? DEFAULT_LEARNING_RATE : undefined,
      backend: backend.name,
    });
    model.dispose();
    parent.model.dispose();
    reports.push(report);
    console.log(
      `  ${name}: ${(report.accuracyAfter * 100).toFixed(2)}% after ${((performance.now() - started) / 1000).toFixed(1)}s`,
    );
  }
  const scratch = reports.find((r) => r.method === 'scratch');
  const scratchLine = scratch ? timeline(scratch) : undefined;
  const target = scratchLine?.points.at(-1)?.accuracy;
  const scratchTime = target !== undefined && scratchLine ? timeToReach(scratchLine, target) : undefined;
  const rows = reports.map((r) => {
    const reach = target !== undefined ? timeToReach(timeline(r), target) : undefined;
    return {
      method: r.method,
      depth: `${r.depthBefore}->${r.depthAfter}`,
      accuracyBefore: r.accuracyBefore,
      accuracyAfterInsertion: r.accuracyAfterInsertion,
      accuracyAfter: r.accuracyAfter,
      insertionDropPoints: (r.accuracyBefore - r.accuracyAfterInsertion) * 100,
      seconds: r.seconds,
      initSeconds: r.initSeconds,
      stage2Epochs: r.stage2.epochs,
      secondsToScratchFinal: reach,
      fractionOfScratchTime: reach !== undefined && scratchTime ? reach / scratchTime : undefined,
      fractionOfScratchBudget: reach !== undefined && scratch ? reach / scratch.seconds : undefined,
    };
  });
  console.log(
    `\nscratch's final validation accuracy: ${target !== undefined ? (target * 100).toFixed(2) + '%' : 'n/a'}, first reached by scratch at ${scratchTime?.toFixed(1) ?? 'n/a'}s of its ${scratch?.seconds.toFixed(1) ?? 'n/a'}s`,
  );
  console.log(
    "'x scratch first': time to that accuracy over scratch's first time there (noisy: validation has 999 samples); 'x scratch budget': over scratch's whole run\n",
  );
  printTable(
    [
      'method',
      'depth',
      'held-out before',
      'after insertion',
      'after fine-tune',
      'insertion drop (pts)',
      'seconds',
      'init s',
      'epochs',
      's to scratch final',
      'x scratch first',
      'x scratch budget',
    ],
    rows.map((r) => [
      r.method,
      r.depth,
      `${(r.accuracyBefore * 100).toFixed(2)}%`,
      `${(r.accuracyAfterInsertion * 100).toFixed(2)}%`,
      `${(r.accuracyAfter * 100).toFixed(2)}%`,
      Number(r.insertionDropPoints.toFixed(2)),
      Number(r.seconds.toFixed(1)),
      Number(r.initSeconds.toFixed(1)),
      r.stage2Epochs,
      r.secondsToScratchFinal !== undefined ? r.secondsToScratchFinal.toFixed(1) : 'never',
      r.fractionOfScratchTime !== undefined ? r.fractionOfScratchTime.toFixed(2) : '-',
      r.fractionOfScratchBudget !== undefined ? r.fractionOfScratchBudget.toFixed(2) : '-',
    ]),
  );
  const path = writeResults('growth', {
    backend: backend.name,
    seconds,
    toDepth,
    split: split.counts,
    scratchTarget: target,
    scratchTime,
    rows,
    reports: reports.map(({ spec: _s, ...r }) => r),
  });
  console.log(`\nwrote ${path}`);
}

void run().catch((err) => {
  console.error(`bench:growth: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
