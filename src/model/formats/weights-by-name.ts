import { tf, tfl } from '../../tf';
import type { DecodedWeight } from './types';
import { problem } from './problem';

type Variable = tfl.LayersModel['weights'][number];

/**
 * The names a file's weight may go by in tfjs: as written; without ':0' (Keras 2 tensor names); without the
 * leading scopes the converter keeps from Keras 3 and nested models (`sequential_4/conv2d/kernel` -> `conv2d/kernel`);
 * without a TF 2.2 cell scope (`lstm/lstm_cell/kernel` -> `lstm/kernel`, as tfjs-layers itself does).
 */
function candidateNames(name: string): string[] {
  const parts = name.replace(/:\d+$/, '').split('/');
  const out: string[] = [];
  for (let start = 0; start < parts.length; start++) {
    const tail = parts.slice(start);
    out.push(tail.join('/'));
    if (tail.length >= 3) out.push([...tail.slice(0, -2), tail[tail.length - 1]].join('/'));
  }
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function writeVariable(variable: Variable, shape: number[], values: Float32Array | Int32Array): void {
  const dtype = variable.dtype === 'int32' ? 'int32' : 'float32';
  const data = values instanceof Float32Array && dtype === 'int32' ? Int32Array.from(values, Math.round) : values;
  const t = tf.tensor(dtype === 'float32' && data instanceof Int32Array ? Float32Array.from(data) : data, shape, dtype);
  try {
    variable.write(t);
  } finally {
    t.dispose();
  }
}

/** Sets every weight of `model` from `weights` matched by name; every weight on either side must find its pair. */
export function assignWeightsByName(model: tfl.LayersModel, weights: DecodedWeight[], file: string): void {
  const byName = new Map<string, Variable>();
  for (const v of model.weights) {
    if (byName.has(v.originalName)) throw problem(file, `the model has two weights named "${v.originalName}"`);
    byName.set(v.originalName, v);
  }
  const assigned = new Set<string>();
  for (const w of weights) {
    const target = candidateNames(w.name).find((n) => byName.has(n) && !assigned.has(n));
    if (!target) {
      const example = model.weights[0]?.originalName;
      throw problem(
        file,
        `weight "${w.name}" matches no weight of the model${example ? ` (its weights are named like "${example}")` : ''}`,
      );
    }
    const variable = byName.get(target) as Variable;
    if (!sameShape(variable.shape as number[], w.shape)) {
      throw problem(
        file,
        `weight "${w.name}" has shape [${w.shape}] but the model's "${target}" has shape [${variable.shape}]`,
      );
    }
    writeVariable(variable, w.shape, w.values);
    assigned.add(target);
  }
  const missing = [...byName.keys()].filter((n) => !assigned.has(n));
  if (missing.length > 0) {
    throw problem(
      file,
      `${missing.length} of the model's ${byName.size} weights have no value in the file (first: "${missing[0]}")`,
    );
  }
}
