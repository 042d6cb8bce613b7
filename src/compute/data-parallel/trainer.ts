import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { tf, tfl } from '../../tf';
import { LossFn, LossSpec, resolveLoss } from './losses';
import { StepReply, WorkerInit, flatten } from './protocol';
import { Mode, ModeChooser } from './mode';
import { Replica } from './replica';

export interface DataParallelOptions {
  loss: LossSpec;
  /** Worker threads besides the calling thread; default: available cores - 1. */
  workers?: number;
  /** Backend in the workers; default: the calling thread's if wasm or cpu, else wasm. */
  backend?: 'wasm' | 'cpu';
  /** Modules each worker requires before building the model (custom layers). */
  modules?: string[];
  /**
   * Compute alone when sharing does not pay (busy cores, small models),
   * re-measuring both every 25 steps. Default true.
   */
  adaptive?: boolean;
}

export interface BatchGradients {
  /** Mean loss over the whole batch. */
  loss: number;
  /** Gradients of that mean for the requested variables, keyed by variable name. Caller disposes. */
  grads: tf.NamedTensorMap;
}

/**
 * Data-parallel gradients on this machine's cores. The calling thread's model
 * holds the truth; every step, each worker thread gets the current weights and
 * a share of the batch rows, the caller computes its own share meanwhile, and
 * the per-share gradients are combined by row count into the gradient of the
 * whole batch's mean loss. Shares follow each thread's measured speed.
 *
 * The wasm backend runs one thread per TF.js instance in Node, so this is how
 * training uses a second core. BatchNorm layers see per-share batch statistics
 * and keep the moving averages of the caller's share.
 */
export class DataParallelTrainer {
  private nextId = 0;
  private mainRate?: number;
  private closed = false;

  private constructor(
    private readonly model: tfl.LayersModel,
    private readonly loss: LossFn,
    private readonly replicas: Replica[],
    private readonly shared: Float32Array,
    private readonly chooser: ModeChooser,
  ) {}

  static async start(model: tfl.LayersModel, opts: DataParallelOptions): Promise<DataParallelTrainer> {
    const count = opts.workers ?? Math.max(0, availableParallelism() - 1);
    const current = tf.getBackend();
    const backend = opts.backend ?? (current === 'cpu' || current === 'wasm' ? current : 'wasm');
    const size = model.weights.reduce((n, w) => n + w.read().size, 0);
    const shared = new Float32Array(new SharedArrayBuffer(size * 4));
    const init: WorkerInit = {
      backend,
      modules: opts.modules ?? [],
      topology: model.toJSON(null, false) as object,
      loss: opts.loss,
      weights: shared.buffer as SharedArrayBuffer,
    };
    const replicas: Replica[] = [];
    try {
      await Promise.all(
        Array.from({ length: count }, () => {
          return new Promise<void>((resolve, reject) => {
            const worker = new Worker(join(__dirname, 'worker.js'), { workerData: init });
            replicas.push(new Replica(worker, () => resolve(), reject));
          });
        }),
      );
    } catch (err) {
      await Promise.all(replicas.map((r) => r.worker.terminate()));
      throw err;
    }
    return new DataParallelTrainer(
      model,
      resolveLoss(opts.loss),
      replicas,
      shared,
      new ModeChooser(opts.adaptive ?? true),
    );
  }

  /** Threads that can share each batch, the caller's included. */
  get threads(): number {
    return this.replicas.length + 1;
  }

  /** Whether steps currently share their rows with the workers. */
  get mode(): Mode {
    return this.replicas.length ? this.chooser.mode : 'alone';
  }

  /** Rows of an n-row batch per thread, caller first, in proportion to measured speed. */
  private split(n: number, mode: Mode): number[] {
    const rates = [this.mainRate, ...this.replicas.map((r) => r.rate)].map((r) => r ?? 1);
    if (mode === 'alone' || n < rates.length) return [n, ...this.replicas.map(() => 0)];
    // One row each, the rest by speed; rounding leftovers go to the caller.
    const total = rates.reduce((a, b) => a + b, 0);
    const spare = n - rates.length;
    const rows = rates.map((r) => 1 + Math.floor((spare * r) / total));
    rows[0] += n - rows.reduce((a, b) => a + b, 0);
    return rows;
  }

  /** Indices into model.weights of the given variables (the order workers share). */
  private weightIndices(vars: tf.Variable[]): number[] {
    const all = this.model.weights.map((w) => w.read());
    return vars.map((v) => {
      const i = all.indexOf(v);
      if (i < 0) throw new Error(`variable ${v.name} is not a weight of the model`);
      return i;
    });
  }

  /** Sends each worker its rows (after the caller's) and starts it. */
  private dispatch(x: tf.Tensor, y: tf.Tensor, rows: number[], train: number[]): (Promise<StepReply> | undefined)[] {
    let start = rows[0];
    return this.replicas.map((replica, i) => {
      const count = rows[i + 1];
      const from = start;
      start += count;
      if (count === 0) return undefined;
      const xs = rowsOf(x, from, count) as Float32Array;
      const ys = rowsOf(y, from, count) as Float32Array | Int32Array;
      return replica.run({
        id: this.nextId++,
        train,
        x: xs,
        xShape: [count, ...x.shape.slice(1)],
        y: ys,
        yShape: [count, ...y.shape.slice(1)],
      });
    });
  }

  /** The batch gradient: each share's gradient of its mean loss, weighted by its rows. */
  private combine(
    vars: tf.Variable[],
    mine: tf.NamedTensorMap,
    replies: (StepReply | undefined)[],
    rows: number[],
  ): tf.NamedTensorMap {
    const n = rows.reduce((a, b) => a + b, 0);
    const grads: tf.NamedTensorMap = {};
    let offset = 0;
    for (const v of vars) {
      const at = offset;
      grads[v.name] = tf.tidy(() => {
        let sum = tf.mul(mine[v.name], rows[0] / n);
        replies.forEach((r, i) => {
          if (r) sum = tf.add(sum, tf.mul(tf.tensor(r.grads.subarray(at, at + v.size), v.shape), rows[i + 1] / n));
        });
        return sum;
      });
      offset += v.size;
    }
    return grads;
  }

  /**
   * Mean loss over the batch and its gradients, the rows shared among the
   * threads. `variables` (default: the model's trainable weights) may be any
   * of the model's weights, e.g. only an inserted block.
   */
  async gradients(x: tf.Tensor, y: tf.Tensor, variables?: tf.Variable[]): Promise<BatchGradients> {
    if (this.closed) throw new Error('DataParallelTrainer is closed');
    const n = x.shape[0];
    if (n < 1 || y.shape[0] !== n)
      throw new Error(`a batch needs rows, and as many targets as inputs (got ${n} and ${y.shape[0]})`);
    const started = performance.now();
    const mode = this.replicas.length ? this.chooser.next() : 'alone';
    const rows = this.split(n, mode);
    const vars = variables ?? this.model.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read());
    const train = this.weightIndices(vars);
    if (rows[0] < n) this.shared.set(flatten(this.model.weights.map((w) => w.read())));
    const outstanding = this.dispatch(x, y, rows, train);

    let mine: { value: tf.Scalar; grads: tf.NamedTensorMap };
    let replies: (StepReply | undefined)[];
    const began = performance.now();
    try {
      mine = tf.tidy(() => {
        const xm = tf.slice(x, 0, rows[0]);
        const ym = tf.slice(y, 0, rows[0]);
        return tf.variableGrads(() => this.loss(this.model.apply(xm, { training: true }) as tf.Tensor, ym), vars);
      });
    } catch (err) {
      await Promise.allSettled(outstanding);
      throw err;
    }
    this.mainRate = blend(this.mainRate, rows[0] / Math.max(1e-3, performance.now() - began));
    try {
      replies = await Promise.all(outstanding);
    } catch (err) {
      await Promise.allSettled(outstanding);
      tf.dispose([mine.value, mine.grads]);
      throw err;
    }

    const grads = this.combine(vars, mine.grads, replies, rows);
    let loss = (mine.value.dataSync()[0] * rows[0]) / n;
    replies.forEach((r, i) => {
      if (!r) return;
      loss += (r.loss * rows[i + 1]) / n;
      this.replicas[i].rate = blend(this.replicas[i].rate, rows[i + 1] / Math.max(1e-3, r.ms));
    });
    tf.dispose([mine.value, mine.grads]);
    this.chooser.record(rows[0] === n ? 'alone' : 'parallel', performance.now() - started, n);
    return { loss, grads };
  }

  /** One optimizer step on the whole batch (of `variables`, default all trainable); returns its mean loss. */
  async step(x: tf.Tensor, y: tf.Tensor, optimizer: tf.Optimizer, variables?: tf.Variable[]): Promise<number> {
    const { loss, grads } = await this.gradients(x, y, variables);
    optimizer.applyGradients(grads);
    tf.dispose(grads);
    return loss;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.replicas.map((r) => r.worker.terminate()));
  }
}

/** A copy of some rows' values. (Not via tf.tidy: it walks a returned typed array key by key.) */
function rowsOf(t: tf.Tensor, from: number, count: number): tf.backend_util.TypedArray {
  const rows = tf.slice(t, from, count);
  const values = rows.dataSync();
  rows.dispose();
  return values;
}

/** Moving average of a thread's rows per millisecond, so one slow step does not swing the split. */
function blend(previous: number | undefined, measured: number): number {
  return previous === undefined ? measured : 0.7 * previous + 0.3 * measured;
}
