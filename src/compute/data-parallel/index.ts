export { DataParallelTrainer, DataParallelOptions, BatchGradients } from './trainer';
export { LossFn, LossSpec, sparseCategoricalCrossEntropy, meanSquaredError } from './losses';
export { Mode } from './mode';
