import { DEFAULT_MAX_BATCH } from './batcher';
import type { ObservedFeedback, ObservedPredict, PredictTap } from './predict-tap';
import { PredictionLog } from './prediction-log';
import { TrafficLedger } from './version-traffic';
import { ServedModel } from './served-model';
import { warmUp } from './warm-up';

/** TF Serving's version states, as GET /v1/models/NAME reports them. */
export type VersionState = 'LOADING' | 'AVAILABLE' | 'UNLOADING';

/** A request's hold on one version: the version is not disposed until every lease is released. */
export interface Lease {
  readonly served: ServedModel;
  release(): void;
}

interface Entry {
  served: ServedModel;
  state: VersionState;
  inFlight: number;
  /** Set while the entry is retired and waiting for its last lease. */
  drained?: () => void;
}

export interface SlotVersion {
  version: number;
  state: VersionState;
  inFlight: number;
}

export interface SlotOptions {
  /** Batch sizes the warm-up runs before a version takes traffic (default: 1 and the largest micro-batch). */
  warmUpBatches?: number[];
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * What serves one model name. A swap warms the next version up before it takes
 * traffic, points new requests at it, and disposes the previous version only
 * once the requests that leased it have all released it. Swaps run one at a time.
 */
export class ModelSlot {
  private live?: Entry;
  private readonly entries = new Set<Entry>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** Completed and failed swaps (for /metrics), and how many had to wait for in-flight requests of the old version. */
  readonly swaps = { ok: 0, failed: 0, drained: 0 };
  /** The recent requests' answers, by request id, for :feedback. */
  readonly answers = new PredictionLog();
  /** What each recent version answered: the watch after a swap compares the new one with the old. */
  readonly traffic = new TrafficLedger();
  private readonly taps = new Set<PredictTap>();

  constructor(
    readonly name: string,
    private readonly opts: SlotOptions = {},
  ) {}

  current(): ServedModel | undefined {
    return this.live?.served;
  }

  /** Every version the slot holds right now: loading, serving or draining. */
  versions(): SlotVersion[] {
    return [...this.entries].map((e) => ({ version: e.served.version, state: e.state, inFlight: e.inFlight }));
  }

  /** Leases the serving version for one request; undefined while none is loaded. Release it in a finally. */
  acquire(): Lease | undefined {
    const entry = this.live;
    if (!entry) return undefined;
    entry.inFlight++;
    let released = false;
    return {
      served: entry.served,
      release: () => {
        if (released) return;
        released = true;
        entry.inFlight--;
        if (entry.inFlight === 0) entry.drained?.();
      },
    };
  }

  /**
   * Takes ownership of `next`: warms it up, switches new requests to it, waits
   * for the previous version's in-flight requests, then disposes that version.
   * When the warm-up fails, `next` is disposed, the previous version keeps
   * serving, and the returned promise rejects.
   */
  swap(next: ServedModel): Promise<void> {
    const run = this.queue.then(() => this.doSwap(next));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Adds a tap on this slot's traffic; the returned function removes it. */
  tap(t: PredictTap): () => void {
    this.taps.add(t);
    return () => this.taps.delete(t);
  }

  /** After a predict answer went out: logs it for feedback and tells the taps. */
  observePredict(p: ObservedPredict): void {
    this.answers.record(p.requestId, { version: p.served.version, classes: p.classes });
    this.traffic.predicted(p.served.version, p.classes, p.ms);
    this.tell((t) => t.predicted?.(p));
  }

  observeFailure(version: number): void {
    this.traffic.failed(version);
    this.tell((t) => t.failed?.(version));
  }

  observeFeedback(f: ObservedFeedback): void {
    this.traffic.labelled(f.version, f.labels, f.classes);
    this.tell((t) => t.feedback?.(f));
  }

  private tell(call: (t: PredictTap) => void): void {
    for (const t of this.taps) {
      try {
        call(t);
      } catch {
        this.taps.delete(t);
      }
    }
  }

  /** Stops serving: new acquires get nothing; resolves once the last version is drained and disposed. */
  close(): Promise<void> {
    const run = this.queue.then(async () => {
      this.closed = true;
      const last = this.live;
      this.live = undefined;
      if (last) await this.retire(last);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async doSwap(next: ServedModel): Promise<void> {
    const label = `model ${this.name} v${next.version}`;
    if (this.closed) {
      next.model.dispose();
      throw new Error(`${label}: the slot is closed`);
    }
    if ([...this.entries].some((e) => e.served.model === next.model)) {
      throw new Error(`${label}: this model object is already in the slot; load a fresh copy to swap it in again`);
    }
    const entry: Entry = { served: next, state: 'LOADING', inFlight: 0 };
    this.entries.add(entry);
    try {
      warmUp(next, this.opts.warmUpBatches ?? [1, DEFAULT_MAX_BATCH]);
    } catch (err) {
      this.entries.delete(entry);
      next.model.dispose();
      this.swaps.failed++;
      const keeps = this.live ? `v${this.live.served.version} keeps serving` : 'no version is serving';
      throw new Error(`${label} failed its warm-up (${keeps}): ${message(err)}`);
    }
    const previous = this.live;
    entry.state = 'AVAILABLE';
    this.live = entry;
    this.swaps.ok++;
    if (previous) await this.retire(previous);
  }

  private async retire(entry: Entry): Promise<void> {
    entry.state = 'UNLOADING';
    if (entry.inFlight > 0) {
      this.swaps.drained++;
      await new Promise<void>((resolve) => (entry.drained = resolve));
    }
    this.entries.delete(entry);
    entry.served.model.dispose();
  }
}
