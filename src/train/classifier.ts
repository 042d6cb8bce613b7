import { tf, tfl } from '../tf';
import { AngleStopRule } from './angle-stop';
import { Budget } from './budget';
import { LoopResult, runLoop } from './loop';
import { ProgressCallback } from './progress';
import { TensorSet } from './tensors';

export interface Evaluation {
  accuracy: number;
  loss: number;
  count: number;
}

const EVAL_BATCH = 512;

/**
 * Mean categorical cross-entropy of softmax probabilities against class ids.
 * log(p + eps), not log(clip(p)): clipping maps NaN into range on some
 * backends (wasm), which would hide a diverged model behind a finite loss.
 */
export function crossEntropy(probabilities: tf.Tensor, labels: tf.Tensor1D, classes: number): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(labels, classes);
    const logP = tf.log(tf.add(probabilities, 1e-7));
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logP), -1))) as tf.Scalar;
  });
}

/** Accuracy and loss in inference mode (BatchNorm uses its moving statistics). */
export function evaluate(model: tfl.LayersModel, data: TensorSet): Evaluation {
  let correct = 0;
  let lossSum = 0;
  for (let start = 0; start < data.count; start += EVAL_BATCH) {
    const size = Math.min(EVAL_BATCH, data.count - start);
    const [hits, loss] = tf.tidy(() => {
      const x = tf.slice(data.x, start, size);
      const y = tf.slice(data.labels, start, size) as tf.Tensor1D;
      const p = model.apply(x, { training: false }) as tf.Tensor;
      const hit = tf.sum(tf.cast(tf.equal(tf.argMax(p, -1), y), 'float32'));
      return [hit.dataSync()[0], crossEntropy(p, y, data.classes).dataSync()[0]];
    });
    correct += hits;
    lossSum += loss * size;
  }
  return { accuracy: data.count ? correct / data.count : 0, loss: data.count ? lossSum / data.count : 0, count: data.count };
}

export interface ClassifierTraining {
  stage: string;
  detail?: string;
  budget: Budget;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Train only these (e.g. a new block for look-ahead); default: every trainable weight. */
  variables?: tf.Variable[];
  validation?: TensorSet;
  /** Validate every this many training samples too (default: only at epoch ends). */
  validateEverySamples?: number;
  stopRule?: AngleStopRule;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  optimizer?: tf.Optimizer;
}

export const DEFAULT_BATCH = 64;
export const DEFAULT_LEARNING_RATE = 1e-3;

/** Trains a classifier end to end with Adam and cross-entropy. */
export function trainClassifier(model: tfl.LayersModel, train: TensorSet, opts: ClassifierTraining): LoopResult {
  const optimizer = opts.optimizer ?? tf.train.adam(opts.learningRate ?? DEFAULT_LEARNING_RATE);
  try {
    return runLoop({
      stage: opts.stage,
      detail: opts.detail,
      count: train.count,
      batchSize: opts.batchSize ?? DEFAULT_BATCH,
      budget: opts.budget,
      seed: opts.seed ?? 1,
      optimizer,
      variables: opts.variables,
      batchLoss: (indices) => {
        const x = tf.gather(train.x, indices);
        const y = tf.gather(train.labels, indices) as tf.Tensor1D;
        return crossEntropy(model.apply(x, { training: true }) as tf.Tensor, y, train.classes);
      },
      validate: opts.validation ? () => evaluate(model, opts.validation!).accuracy : undefined,
      validateEverySteps: opts.validateEverySamples ? Math.max(1, Math.round(opts.validateEverySamples / (opts.batchSize ?? DEFAULT_BATCH))) : undefined,
      stopRule: opts.stopRule,
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
  } finally {
    if (!opts.optimizer) optimizer.dispose();
  }
}

/** The tf.Variables behind a model's (or some layers') trainable weights. */
export function trainableVariables(layers: { trainableWeights: tfl.LayerVariable[] }[]): tf.Variable[] {
  return layers.flatMap((l) => l.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read()));
}
