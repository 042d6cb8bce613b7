import { DataError, describeList } from './errors';
import { compareCodeUnits } from '../util/compare';

const INTEGER = /^[+-]?\d+$/;

/**
 * Sorted, distinct class names. When every name is an integer they are
 * compared as numbers so '10' follows '9'; otherwise by code point, which does
 * not depend on the device's locale.
 */
export function sortClassNames(names: Iterable<string>): string[] {
  const distinct = [...new Set(names)];
  if (distinct.length > 0 && distinct.every((name) => INTEGER.test(name))) {
    return distinct.sort((a, b) => Number(a) - Number(b));
  }
  return distinct.sort(compareCodeUnits);
}

/** Integer labels written differently ('07', '+7') name the same class. */
export function canonicalIntegerLabels(labels: string[]): string[] {
  if (labels.length === 0 || !labels.every((label) => INTEGER.test(label))) return labels;
  return labels.map((label) => String(Number(label)));
}

/**
 * The class id over modelClasses (the model's labels) of each class id over
 * dataClasses, so that class id = output unit of the model.
 */
export function classRemap(where: string, dataClasses: string[], modelClasses: string[]): Int32Array {
  const modelIndex = new Map<string, number>();
  modelClasses.forEach((name, index) => {
    if (modelIndex.has(name)) throw new DataError(where, `the model's classes name '${name}' twice`);
    modelIndex.set(name, index);
  });
  return Int32Array.from(dataClasses, (name) => {
    const index = modelIndex.get(name);
    if (index === undefined) {
      throw new DataError(
        where,
        `data class '${name}' is not one of the model's classes (${describeList(modelClasses)})`,
      );
    }
    return index;
  });
}

/**
 * How many samples to take from each class so at most `limit` are taken in
 * all and every class keeps as many as it can (water-filling, lowest class
 * ids get the remainder).
 */
export function classQuotas(countsPerClass: number[], limit: number | undefined): number[] {
  if (limit === undefined) return [...countsPerClass];
  const quotas = countsPerClass.map(() => 0);
  let remaining = limit;
  let open = countsPerClass.map((_, i) => i).filter((i) => countsPerClass[i] > 0);
  while (remaining > 0 && open.length > 0) {
    const share = Math.max(1, Math.floor(remaining / open.length));
    for (const i of open) {
      if (remaining === 0) break;
      const take = Math.min(share, countsPerClass[i] - quotas[i], remaining);
      quotas[i] += take;
      remaining -= take;
    }
    open = open.filter((i) => quotas[i] < countsPerClass[i]);
  }
  return quotas;
}

/** Indices of the first samples of each class, in dataset order, within the quotas for `limit`. */
export function firstPerClass(y: Int32Array, classCount: number, limit: number): number[] {
  const counts = new Array<number>(classCount).fill(0);
  for (const id of y) counts[id]++;
  const quotas = classQuotas(counts, limit);
  const kept: number[] = [];
  y.forEach((id, index) => {
    if (quotas[id] > 0) {
      quotas[id]--;
      kept.push(index);
    }
  });
  return kept;
}
