import { predictRows } from './predict';
import { inputSize, ServedModel } from './served-model';

/** Inputs per forward pass at most; on wasm the cost per input stops falling at about this size. */
export const DEFAULT_MAX_BATCH = 32;

interface Pending {
  x: Float32Array;
  count: number;
  resolve(rows: number[][]): void;
  reject(err: unknown): void;
}

/**
 * Micro-batching without a timer: predict requests parsed in the same turn of
 * the event loop (typically those that queued up while the previous forward
 * pass ran) are run as one batch per model version at the end of that turn
 * (setImmediate). A lone request waits for nothing; under load, one forward
 * pass of 8 inputs costs about what one of a single input does on wasm.
 */
export class MicroBatcher {
  private readonly queues = new Map<ServedModel, Pending[]>();
  private scheduled = false;

  /** maxBatch 1 turns batching off: every request runs on its own, synchronously at flush. */
  constructor(readonly maxBatch: number) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new Error(`maxBatch must be a whole number from 1, got ${maxBatch}`);
  }

  /** Outputs for `count` raw inputs on `served`, which the caller keeps leased until this settles. */
  predict(served: ServedModel, x: Float32Array, count: number): Promise<number[][]> {
    if (this.maxBatch === 1) return Promise.resolve(predictRows(served, x, count));
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(served) ?? [];
      queue.push({ x, count, resolve, reject });
      this.queues.set(served, queue);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const queues = [...this.queues];
    this.queues.clear();
    for (const [served, pending] of queues) {
      let group: Pending[] = [];
      let size = 0;
      for (const p of pending) {
        if (group.length > 0 && size + p.count > this.maxBatch) {
          this.run(served, group, size);
          group = [];
          size = 0;
        }
        group.push(p);
        size += p.count;
      }
      this.run(served, group, size);
    }
  }

  private run(served: ServedModel, group: Pending[], count: number): void {
    try {
      let x = group[0].x;
      if (group.length > 1) {
        x = new Float32Array(count * inputSize(served));
        let offset = 0;
        for (const p of group) {
          x.set(p.x, offset);
          offset += p.x.length;
        }
      }
      const rows = predictRows(served, x, count);
      let start = 0;
      for (const p of group) {
        p.resolve(rows.slice(start, start + p.count));
        start += p.count;
      }
    } catch (err) {
      for (const p of group) p.reject(err);
    }
  }
}
