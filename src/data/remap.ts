import type { Dataset } from './types';
import { classRemap } from './classes';

/** The same samples with class ids over `classes` (the model's labels, matched by name). */
export function remapClasses(dataset: Dataset, classes: string[]): Dataset {
  const same = classes.length === dataset.classes.length && classes.every((c, i) => c === dataset.classes[i]);
  if (same) return dataset;
  const remap = classRemap(dataset.source, dataset.classes, classes);
  return { ...dataset, classes: [...classes], y: Int32Array.from(dataset.y, (id) => remap[id]) };
}
