import { Worker } from 'node:worker_threads';
import { ErrorReply, ReadyReply, StepReply, StepRequest } from './protocol';

type Reply = StepReply | ErrorReply | ReadyReply;

/** One worker thread and the step it is working on. */
export class Replica {
  /** Measured rows per millisecond; undefined until the first step. */
  rate?: number;
  private pending?: { resolve(r: StepReply): void; reject(e: Error): void };
  private failure?: Error;

  constructor(
    readonly worker: Worker,
    ready: (backend: string) => void,
    failed: (e: Error) => void,
  ) {
    worker.on('message', (m: Reply) => {
      if ('ready' in m) return ready(m.backend);
      if ('error' in m) return this.fail(new Error(`data-parallel worker: ${m.error}`), m.id >= 0, failed);
      const p = this.pending;
      this.pending = undefined;
      this.worker.unref();
      p?.resolve(m);
    });
    worker.on('error', (e) => this.fail(e, false, failed));
    worker.on('exit', (code) => this.fail(new Error(`data-parallel worker exited with code ${code}`), false, failed));
  }

  /** A failed step leaves the worker usable; a crash or exit does not. */
  private fail(e: Error, stepOnly: boolean, failed: (e: Error) => void): void {
    if (!stepOnly) this.failure ??= e;
    const p = this.pending;
    this.pending = undefined;
    this.worker.unref();
    if (p) p.reject(e);
    else failed(e);
  }

  run(req: StepRequest): Promise<StepReply> {
    if (this.failure) return Promise.reject(this.failure);
    // Referenced only while a step is out, so an idle trainer never keeps the process alive.
    this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      const transfer = [req.x.buffer, req.y.buffer] as ArrayBuffer[];
      this.worker.postMessage(req, transfer);
    });
  }
}
