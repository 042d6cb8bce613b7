// node dist/scripts/bench-morphism.js [--full-iterations N]
// optGD (morphism paper, Algorithm 1) on the decompositions the morphism method
// solves: a random 3x3 conv into two 3x3 convs (F_{l+1} on its centre tap, and
// the paper-literal full window for comparison), dense W = W_l W_{l+1}, and the
// ResNet branch's (1 - r) Id with a non-negative conv1. Prints relative error,
// iterations and seconds; writes bench-results/morphism.json.
import { selectBackend } from '../src/compute/backend';
import { tf } from '../src/tf';
import { decomposeConv, SecondSupport } from '../src/grow/morphism/conv-decomposition';
import { decompose, Decomposition } from '../src/grow/morphism/decompose';
import { matrixComposition } from '../src/grow/morphism/matrix-composition';
import { OPTGD_TOLERANCE } from '../src/grow/morphism/budget';
import { option, printTable, writeResults } from './lib/table';

interface Row {
  problem: string;
  iterations: number;
  seconds: number;
  relativeError: number;
  stoppedBy: string;
}

function row(problem: string, d: Decomposition): Row {
  tf.dispose([d.first, d.second]);
  return {
    problem,
    iterations: d.iterations,
    seconds: d.seconds,
    relativeError: d.relativeError,
    stoppedBy: d.stoppedBy,
  };
}

async function run(): Promise<void> {
  const backend = await selectBackend();
  const fullIterations = Number(option('full-iterations', 'BENCH_FULL_ITERATIONS', '300'));
  console.log(`bench:morphism  backend=${backend.name}  tolerance ${OPTGD_TOLERANCE}`);
  const rows: Row[] = [];
  const conv = (c: number, support: SecondSupport, maxIterations: number) => {
    const g = tf.randomNormal([3, 3, c, c], 0, 0.1, 'float32', 7) as tf.Tensor4D;
    const d = decomposeConv(g, 3, { seed: 3, maxIterations, tolerance: OPTGD_TOLERANCE, support });
    g.dispose();
    return row(
      `conv 3x3 -> 3x3 + 3x3, C = ${c}, F_{l+1} ${support === 'full' ? 'full window (paper-literal)' : 'centre tap'}`,
      d,
    );
  };
  for (const c of [16, 32, 64]) rows.push(conv(c, 'centre', 5000));
  for (const c of [16, 32, 64]) rows.push(conv(c, 'full', fullIterations));
  for (const [ci, cj] of [
    [12, 32],
    [64, 64],
    [784, 256],
    [256, 256],
  ]) {
    const w = tf.randomNormal([ci, cj], 0, 0.1, 'float32', 7);
    rows.push(
      row(
        `dense ${ci} x ${cj} = (${ci} x ${cj})(${cj} x ${cj})`,
        decompose(matrixComposition(ci, cj, cj), w, { seed: 3, maxIterations: 5000, tolerance: OPTGD_TOLERANCE }),
      ),
    );
    w.dispose();
  }
  for (const c of [16, 32, 64]) {
    const target = tf.mul(tf.eye(c), 0.5);
    rows.push(
      row(
        `resnet branch 0.5 Id, C = ${c}, conv1 >= 0`,
        decompose(matrixComposition(c, c, c), target, {
          seed: 3,
          maxIterations: 5000,
          tolerance: OPTGD_TOLERANCE,
          nonNegativeFirst: true,
        }),
      ),
    );
    target.dispose();
  }
  printTable(
    ['problem', 'iterations', 'seconds', 'relative error', 'stopped by'],
    rows.map((r) => [
      r.problem,
      r.iterations,
      Number(r.seconds.toFixed(3)),
      r.relativeError.toExponential(2),
      r.stoppedBy,
    ]),
  );
  const path = writeResults('morphism', { backend: backend.name, tolerance: OPTGD_TOLERANCE, rows });
  console.log(`\nwrote ${path}`);
}

void run().catch((err) => {
  console.error(`bench:morphism: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
