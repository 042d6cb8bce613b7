export type { Dataset, Normalisation, SplitSpec, DataSplit, LoadOptions } from './types';
export { DataError } from './errors';
export { loadDataset } from './load';
export { MNIST_SOURCE } from './mnist';
export { splitDataset, splitFingerprint, DEFAULT_SPLIT } from './split';
export { subsetDataset, sampleSize } from './subset';
export { computeNormalisation, applyNormalisation, revertNormalisation, assertFits } from './normalise';
export { epochOrder, batchCount, createBatchBuffers, gatherBatch, oneHot, type BatchBuffers } from './batches';
export { mulberry32, deriveSeed, shuffleInPlace, type Random } from './random';
