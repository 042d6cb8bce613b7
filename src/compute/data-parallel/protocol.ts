import { tf } from '../../tf';
import { LossSpec } from './losses';

/** What a worker needs to build its replica; sent once as workerData. */
export interface WorkerInit {
  backend: 'wasm' | 'cpu';
  /** Modules to require before the model is built (custom layer registration). */
  modules: string[];
  /** model.toJSON(null, false): the topology; weights follow with every step. */
  topology: object;
  loss: LossSpec;
  /** All of model.weights, flat, in order; the caller rewrites it before every step. */
  weights: SharedArrayBuffer;
}

/** One step: this worker's rows. The current weights are in the shared buffer. */
export interface StepRequest {
  id: number;
  /** Indices into model.weights of the variables to differentiate. */
  train: number[];
  x: Float32Array;
  xShape: number[];
  y: Float32Array | Int32Array;
  yShape: number[];
}

/** Gradients of the worker's mean loss for the requested weights, flat, in order. */
export interface StepReply {
  id: number;
  loss: number;
  grads: Float32Array;
  /** Wall time the worker spent on the step, for balancing the split. */
  ms: number;
}

export interface ErrorReply {
  id: number;
  error: string;
}

export interface ReadyReply {
  ready: true;
  backend: string;
}

/** Copies tensors' values into one flat array, in order. */
export function flatten(tensors: tf.Tensor[]): Float32Array {
  const out = new Float32Array(tensors.reduce((n, t) => n + t.size, 0));
  let o = 0;
  for (const t of tensors) {
    out.set(t.dataSync() as Float32Array, o);
    o += t.size;
  }
  return out;
}

/** Splits a flat array back into tensors of the given shapes. */
export function unflatten(flat: Float32Array, shapes: number[][]): tf.Tensor[] {
  let o = 0;
  return shapes.map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(flat.subarray(o, o + size), shape, 'float32');
    o += size;
    return t;
  });
}
