import { tf, tfl } from '../tf';
import { type OutputKind, oneUnitThreshold } from '../model/arch';
import { AngleStopRule } from './angle-stop';
import { Budget } from './budget';
import { Checkpoint, LoopResult, LoopSchedule, localStep, runLoopAsync } from './loop';
import { LearningRateSchedule, learningRateAt } from './schedule';
import { ProgressCallback } from './progress';
import { Interlude } from './interlude';
import { TensorSet } from './tensors';

export interface Evaluation {
  accuracy: number;
  loss: number;
  count: number;
}

/**
 * Samples per forward pass when evaluating. Each pass's activations are new memory to a fresh process (a growth
 * is one): a one-epoch growth of the shipped model on 2,500 digits took 2.65 CPU-seconds (47,800 page faults)
 * at 512 and 2.57 (42,600) at 128, three runs each, and peaked at 184 MB instead of 205.
 */
const EVAL_BATCH = 128;

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

/**
 * Binary cross-entropy from one raw score z per sample (Keras's
 * BinaryCrossentropy(from_logits=True)), in the form that cannot overflow:
 * max(z, 0) - z * y + log(1 + exp(-|z|)).
 */
function binaryCrossEntropyFromLogits(z: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const y = tf.reshape(tf.cast(labels, 'float32'), z.shape);
    const perSample = tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
    return tf.mean(perSample) as tf.Scalar;
  });
}

/**
 * The loss of a classifier's outputs as the model gives them: softmax
 * probabilities (cross-entropy above), raw scores (softmax cross-entropy from
 * logits, as Keras's from_logits=True; binary cross-entropy from logits for
 * one score) or sigmoid probabilities (binary cross-entropy; one unit for two
 * classes, or one per class).
 */
export function classifierLoss(
  outputs: tf.Tensor,
  labels: tf.Tensor1D,
  classes: number,
  output: OutputKind = 'softmax',
): tf.Scalar {
  return tf.tidy(() => {
    if (output === 'softmax') return crossEntropy(outputs, labels, classes);
    if (output === 'logits') {
      if (outputs.shape[outputs.shape.length - 1] === 1) return binaryCrossEntropyFromLogits(outputs, labels);
      const logP = tf.logSoftmax(outputs);
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(labels, classes), logP), -1))) as tf.Scalar;
    }
    if (output === 'sigmoid') {
      const target =
        outputs.shape[outputs.shape.length - 1] === 1
          ? tf.reshape(tf.cast(labels, 'float32'), outputs.shape)
          : tf.cast(tf.oneHot(labels, classes), 'float32');
      const p = tf.clipByValue(outputs, 1e-7, 1 - 1e-7);
      const bce = tf.add(tf.mul(target, tf.log(p)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, p))));
      return tf.neg(tf.mean(tf.sum(bce, -1))) as tf.Scalar;
    }
    throw new Error(`a ${output} output is not a classifier's`);
  });
}

/** The class each output row names: argmax, or for one unit class 1 when p > 0.5 (sigmoid) or z > 0 (a logit). */
export function predictedClasses(outputs: tf.Tensor, output: OutputKind = 'softmax'): tf.Tensor {
  return tf.tidy(() =>
    outputs.shape[outputs.shape.length - 1] === 1
      ? tf.cast(tf.greater(tf.reshape(outputs, [-1]), oneUnitThreshold(output)), 'int32')
      : tf.argMax(outputs, -1),
  );
}

/** Accuracy and loss in inference mode (BatchNorm uses its moving statistics). */
export function evaluate(model: tfl.LayersModel, data: TensorSet): Evaluation {
  const { correct: _, ...evaluation } = evaluateEach(model, data);
  return evaluation;
}

/**
 * evaluate(), and which samples the model classified correctly (1) or not (0), from the same forward pass: a
 * growth needs both for the parent and the candidate on the held-out set (the gate's paired comparison).
 */
export function evaluateEach(model: tfl.LayersModel, data: TensorSet): Evaluation & { correct: Uint8Array } {
  const correct = new Uint8Array(data.count);
  let hits = 0;
  let lossSum = 0;
  for (let start = 0; start < data.count; start += EVAL_BATCH) {
    const size = Math.min(EVAL_BATCH, data.count - start);
    const [batchHits, loss] = tf.tidy(() => {
      const x = tf.slice(data.x, start, size);
      const y = tf.slice(data.labels, start, size) as tf.Tensor1D;
      const p = model.apply(x, { training: false }) as tf.Tensor;
      return [
        tf.equal(predictedClasses(p, data.output), y).dataSync(),
        classifierLoss(p, y, data.classes, data.output).dataSync()[0],
      ];
    });
    for (let i = 0; i < size; i++) {
      correct[start + i] = batchHits[i] ? 1 : 0;
      hits += correct[start + i];
    }
    lossSum += loss * size;
  }
  return {
    accuracy: data.count ? hits / data.count : 0,
    loss: data.count ? lossSum / data.count : 0,
    count: data.count,
    correct,
  };
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
  /** Overrides `learningRate` with a rate that follows the budget. */
  schedule?: LearningRateSchedule;
  /** Sees every validation checkpoint; true ends training (reason 'early'). */
  onCheckpoint?: (checkpoint: Checkpoint, fraction: number) => boolean;
  /** Each validation's per-sample answers (1: correct), just before onCheckpoint sees the checkpoint it makes. */
  onValidationAnswers?: (correct: Uint8Array) => void;
  /** A pause for other work part-way through. */
  interlude?: Interlude;
}

export const DEFAULT_BATCH = 64;
export const DEFAULT_LEARNING_RATE = 1e-3;

/** The loop's schedule for training `model` on `train` as `opts` say. */
function classifierSchedule(
  model: tfl.LayersModel,
  train: TensorSet,
  opts: ClassifierTraining,
  optimizer: tf.Optimizer,
): LoopSchedule {
  const schedule = opts.schedule;
  return {
    stage: opts.stage,
    detail: opts.detail,
    count: train.count,
    batchSize: opts.batchSize ?? DEFAULT_BATCH,
    budget: opts.budget,
    seed: opts.seed ?? 1,
    optimizer,
    validate: opts.validation
      ? () => {
          const { accuracy, loss, correct } = evaluateEach(model, opts.validation!);
          opts.onValidationAnswers?.(correct);
          return { accuracy, loss };
        }
      : undefined,
    validateEverySteps: opts.validateEverySamples
      ? Math.max(1, Math.round(opts.validateEverySamples / (opts.batchSize ?? DEFAULT_BATCH)))
      : undefined,
    stopRule: opts.stopRule,
    learningRate: schedule ? (fraction) => learningRateAt(schedule, fraction) : undefined,
    onCheckpoint: opts.onCheckpoint,
    onProgress: opts.onProgress,
    signal: opts.signal,
    interlude: opts.interlude,
  };
}

function optimizerFor(opts: ClassifierTraining): tf.Optimizer {
  const schedule = opts.schedule;
  return (
    opts.optimizer ??
    tf.train.adam(schedule ? learningRateAt(schedule, 0) : (opts.learningRate ?? DEFAULT_LEARNING_RATE))
  );
}

/** The batch's loss of the classifier on the training samples whose indices are given. */
function batchLossOf(model: tfl.LayersModel, train: TensorSet): (indices: tf.Tensor1D) => tf.Scalar {
  return (indices) => {
    const x = tf.gather(train.x, indices);
    const y = tf.gather(train.labels, indices) as tf.Tensor1D;
    return classifierLoss(model.apply(x, { training: true }) as tf.Tensor, y, train.classes, train.output);
  };
}

/** What trainClassifier asks of a data-parallel trainer (src/compute/data-parallel). */
export interface SharedSteps {
  /** One optimizer step on the batch (x, class ids y) of the model, its rows shared out; the batch's mean loss. */
  step(x: tf.Tensor, y: tf.Tensor, optimizer: tf.Optimizer): Promise<number>;
}

/**
 * Trains a classifier end to end with Adam and cross-entropy, with the options' interlude, and each
 * step's rows shared with worker threads where a `trainer` is given (it trains the same model, every
 * weight, with the loss of the model's output kind).
 */
export async function trainClassifier(
  model: tfl.LayersModel,
  train: TensorSet,
  opts: ClassifierTraining,
  trainer?: SharedSteps,
): Promise<LoopResult> {
  if (trainer && opts.variables) throw new Error('shared steps train every weight; variables are not supported');
  const optimizer = optimizerFor(opts);
  const alone = localStep({ optimizer, batchLoss: batchLossOf(model, train), variables: opts.variables });
  try {
    return await runLoopAsync({
      ...classifierSchedule(model, train, opts, optimizer),
      step: async (batch) => {
        if (!trainer) return alone(batch);
        const [x, y] = tf.tidy(() => {
          const indices = tf.tensor1d(batch, 'int32');
          return [tf.gather(train.x, indices), tf.gather(train.labels, indices)];
        });
        try {
          return await trainer.step(x, y, optimizer);
        } finally {
          tf.dispose([x, y]);
        }
      },
    });
  } finally {
    if (!opts.optimizer) optimizer.dispose();
  }
}

/** The tf.Variables behind a model's (or some layers') trainable weights. */
export function trainableVariables(layers: { trainableWeights: tfl.LayerVariable[] }[]): tf.Variable[] {
  return layers.flatMap((l) => l.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read()));
}
