import { DeependError } from '../util/deepend-error';
import { tf, tfl } from '../tf';
import { predictedClasses } from '../train/classifier';
import { TensorSet } from '../train/tensors';

export interface ParentCheck {
  accuracy: number;
  /** Accuracy a constant guess of the most common class would reach. */
  majority: number;
  /** Below this the model is taken to be at chance. */
  threshold: number;
}

/** Rows: the data's class; columns: the class the model predicts. */
function confusion(model: tfl.LayersModel, data: TensorSet): number[][] {
  const counts = Array.from({ length: data.classes }, () => new Array<number>(data.classes).fill(0));
  const batch = 256;
  for (let start = 0; start < data.count; start += batch) {
    const size = Math.min(batch, data.count - start);
    const [predicted, truth] = tf.tidy(() => [
      predictedClasses(
        model.apply(tf.slice(data.x, start, size), { training: false }) as tf.Tensor,
        data.output,
      ).dataSync(),
      tf.slice(data.labels, start, size).dataSync(),
    ]);
    for (let i = 0; i < size; i++) counts[truth[i]][predicted[i]]++;
  }
  return counts;
}

/**
 * A permutation of the labels that explains the model's answers: each data
 * class's most frequent prediction, when those are all different and not the
 * identity. Returned as "data class -> model output" pairs that differ.
 */
function permutation(counts: number[][]): [number, number][] | undefined {
  const best = counts.map((row) => row.indexOf(Math.max(...row)));
  if (new Set(best).size !== best.length || best.every((p, c) => p === c)) return undefined;
  const explained = best.reduce((sum, p, c) => sum + counts[c][p], 0);
  const total = counts.flat().reduce((a, b) => a + b, 0);
  return explained / total >= 0.5
    ? best.map((p, c) => [c, p] as [number, number]).filter(([c, p]) => c !== p)
    : undefined;
}

/**
 * Before growing an imported model: its own held-out accuracy on the local
 * data must be clearly above chance. Near chance the input scaling or the
 * label order is almost always wrong, and growing would waste the budget.
 * Throws one line that says which, with the options that fix it.
 */
export function checkParentAboveChance(
  model: tfl.LayersModel,
  test: TensorSet,
  labels: string[],
  contract: string,
): ParentCheck {
  const counts = confusion(model, test);
  const total = counts.flat().reduce((a, b) => a + b, 0);
  const correct = counts.reduce((sum, row, c) => sum + row[c], 0);
  const accuracy = total ? correct / total : 0;
  const majority = total ? Math.max(...counts.map((row) => row.reduce((a, b) => a + b, 0))) / total : 0;
  const base = Math.max(1 / test.classes, majority);
  const threshold = base + 0.1 * (1 - base);
  if (accuracy >= threshold) return { accuracy, majority, threshold };
  const swapped = permutation(counts);
  const pctOf = (x: number) => `${(x * 100).toFixed(1)}%`;
  if (swapped) {
    const pairs = swapped
      .slice(0, 3)
      .map(([c, p]) => `data '${labels[c]}' -> output ${p} ('${labels[p]}')`)
      .join(', ');
    throw new DeependError(
      'data',
      `the model's own held-out accuracy is ${pctOf(accuracy)}, near chance, and its answers follow a different label order (${pairs}${swapped.length > 3 ? ', ...' : ''}): pass --labels in the model's output order`,
    );
  }
  // Far below chance a model answers systematically wrong: some classes under other names, even where its answers
  // follow no whole permutation (a weak class mostly answered as another).
  if (accuracy < base / 2)
    throw new DeependError(
      'data',
      `the model's own held-out accuracy on this data is ${pctOf(accuracy)}, far below chance (${pctOf(base)}): its classes are probably in another order than the data's (${labels.join(', ')}): pass --labels in the model's output order; else the input scaling is wrong (now ${contract}): --input-scale, --input-mean/--input-std`,
    );
  throw new DeependError(
    'data',
    `the model's own held-out accuracy on this data is ${pctOf(accuracy)}, near chance (${pctOf(base)}): the input scaling is probably wrong (now ${contract}); set it with --input-scale (e.g. 1/255 or 1), or --input-mean/--input-std`,
  );
}
