import type { JobMessage } from '../contract/messages';
import type { PolicyRule } from '../policy/types';
import type { ModelSlot } from '../serve/model-slot';
import { predictRows } from '../serve/predict';
import { classesOf, ObservedFeedback, ObservedPredict, PredictTap } from '../serve/predict-tap';
import type { ServedModel } from '../serve/served-model';
import type { ShadowView } from './runner-port';
import { quantile } from '../stats/quantile';

/** The policy's `shadow` (src/policy/schema.ts says what each field means). */
export type ShadowSettings = NonNullable<PolicyRule['shadow']>;

/** What a shadow run measured: the job's result and its fleet job message carry it (job.schema.json, `shadow`). */
export type ShadowFigures = NonNullable<JobMessage['shadow']>;

/** The shadow may take at most this share of the serving thread's time; requests beyond it go by uncompared. */
const MAX_TIME_SHARE = 0.25;
/** Compared requests whose answers are kept for feedback (the newest). */
const MAX_KEPT_FOR_FEEDBACK = 2000;
/** Forward times kept per model for the percentiles (the newest): a shadow of a million requests stays small. */
const MAX_TIMES = 10_000;

interface Compared {
  served: number[];
  candidate: number[];
  scored: boolean;
}

const round = (x: number | null, digits = 3) => (x === null ? null : +x.toFixed(digits));

/**
 * The candidate answering a sample of live requests beside the served model
 * (issue 14, "shadow before the swap"). A request is compared after its answer
 * went out, on the next turn of the event loop, one at a time; both models run
 * on its inputs back to back, so that their times compare like for like.
 */
export class ShadowRun implements PredictTap {
  readonly done: Promise<ShadowFigures>;
  private finish!: (endedBy: ShadowFigures['endedBy']) => void;
  private readonly started = performance.now();
  private readonly compared = new Map<string, Compared>();
  private readonly servedMs: number[] = [];
  private readonly candidateMs: number[] = [];
  private requests = 0;
  private instances = 0;
  private disagreed = 0;
  private skipped = 0;
  private busyMs = 0;
  private pending = false;
  private ended = false;
  private labelled = 0;
  private servedCorrect = 0;
  private candidateCorrect = 0;

  private readonly endsAt: Date;

  constructor(
    private readonly slot: ModelSlot,
    private readonly candidate: ServedModel,
    private readonly settings: ShadowSettings,
  ) {
    this.endsAt = new Date(Date.now() + settings.minutes * 60_000);
    const servedVersion = slot.current()?.version ?? 0;
    this.done = new Promise((resolve) => {
      const timer = setTimeout(() => this.finish('minutes'), settings.minutes * 60_000);
      this.finish = (endedBy) => {
        if (this.ended) return;
        this.ended = true;
        clearTimeout(timer);
        resolve(this.figures(servedVersion, endedBy));
      };
    });
  }

  /** How far it is: requests compared of those wanted, and when its minutes run out. */
  progress(): ShadowView {
    return { requests: this.requests, wanted: this.settings.requests, endsAt: this.endsAt.toISOString() };
  }

  /** Ends the run now (a cancel or the daemon's stop). */
  stop(): void {
    this.finish('stopped');
  }

  predicted(p: ObservedPredict): void {
    if (this.ended) return;
    const elapsed = performance.now() - this.started;
    if (this.pending || this.busyMs > MAX_TIME_SHARE * elapsed) {
      this.skipped++;
      return;
    }
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      if (!this.ended) this.compare(p);
    });
  }

  feedback(f: ObservedFeedback): void {
    const c = this.compared.get(f.requestId);
    if (!c || c.scored) return;
    c.scored = true;
    this.labelled += f.labels.length;
    f.labels.forEach((label, i) => {
      if (c.served[i] === label) this.servedCorrect++;
      if (c.candidate[i] === label) this.candidateCorrect++;
    });
  }

  private compare(p: ObservedPredict): void {
    const lease = this.slot.acquire();
    if (!lease || lease.served !== p.served) {
      lease?.release();
      this.skipped++;
      return;
    }
    try {
      // alternate which model runs first, so that neither always finds the caches warm
      const first = this.requests % 2 === 0;
      const t0 = performance.now();
      const a = predictRows(first ? p.served : this.candidate, p.x, p.count);
      const t1 = performance.now();
      const b = predictRows(first ? this.candidate : p.served, p.x, p.count);
      const t2 = performance.now();
      this.requests++;
      this.servedMs.push(first ? t1 - t0 : t2 - t1);
      this.candidateMs.push(first ? t2 - t1 : t1 - t0);
      if (this.servedMs.length > MAX_TIMES) {
        this.servedMs.shift();
        this.candidateMs.shift();
      }
      this.busyMs += t2 - t0;
      const served = classesOf(first ? a : b, p.served.meta.arch.output);
      const candidate = classesOf(first ? b : a, this.candidate.meta.arch.output);
      this.instances += p.count;
      this.disagreed += candidate.filter((c, i) => c !== served[i]).length;
      // kept for the labels that may follow, within a bound: a shadow of a million requests keeps the latest
      this.compared.set(p.requestId, { served, candidate, scored: false });
      if (this.compared.size > MAX_KEPT_FOR_FEEDBACK) this.compared.delete(this.compared.keys().next().value as string);
    } finally {
      lease.release();
    }
    if (this.requests >= this.settings.requests) this.finish('requests');
  }

  private figures(servedVersion: number, endedBy: ShadowFigures['endedBy']): ShadowFigures {
    return {
      servedVersion,
      requests: this.requests,
      instances: this.instances,
      skipped: this.skipped,
      disagreement: this.instances > 0 ? round(this.disagreed / this.instances, 4) : null,
      servedP50Ms: round(quantile(this.servedMs, 0.5)),
      servedP99Ms: round(quantile(this.servedMs, 0.99)),
      candidateP50Ms: round(quantile(this.candidateMs, 0.5)),
      candidateP99Ms: round(quantile(this.candidateMs, 0.99)),
      labelled: this.labelled,
      servedAccuracy: this.labelled > 0 ? round(this.servedCorrect / this.labelled, 4) : null,
      candidateAccuracy: this.labelled > 0 ? round(this.candidateCorrect / this.labelled, 4) : null,
      seconds: round((performance.now() - this.started) / 1000, 1) ?? 0,
      endedBy,
    };
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Why the candidate must not be swapped in after its shadow run; empty when it may. */
export function shadowProblems(f: ShadowFigures, s: ShadowSettings): string[] {
  const problems: string[] = [];
  if (f.disagreement !== null && f.disagreement > s.maxDisagreement)
    problems.push(
      `the candidate answered another class than v${f.servedVersion} on ${pct(f.disagreement)} of ${f.instances} live instances (limit ${pct(s.maxDisagreement)})`,
    );
  if (
    s.maxLatencyRatio !== undefined &&
    f.candidateP99Ms !== null &&
    f.servedP99Ms !== null &&
    f.servedP99Ms > 0 &&
    f.candidateP99Ms > s.maxLatencyRatio * f.servedP99Ms
  )
    problems.push(
      `the candidate's p99 forward time ${f.candidateP99Ms} ms is ${(f.candidateP99Ms / f.servedP99Ms).toFixed(2)}x v${f.servedVersion}'s ${f.servedP99Ms} ms (limit ${s.maxLatencyRatio}x)`,
    );
  return problems;
}

/** One line of what the shadow saw, for logs and the CLI. */
export function describeShadow(f: ShadowFigures): string {
  if (f.requests === 0) return `shadow: no live request to compare on in ${f.seconds} s`;
  const acc =
    f.labelled > 0
      ? `, labelled accuracy ${pct(f.servedAccuracy ?? 0)} -> ${pct(f.candidateAccuracy ?? 0)} on ${f.labelled}`
      : '';
  return `shadow: ${f.requests} requests (${f.instances} instances) in ${f.seconds} s, disagreement ${pct(f.disagreement ?? 0)}, p99 ${f.servedP99Ms} -> ${f.candidateP99Ms} ms${acc}`;
}

/** Runs the shadow on `slot` until it ends; the caller owns (and disposes) `candidate`. */
export async function shadowOnSlot(
  slot: ModelSlot,
  candidate: ServedModel,
  settings: ShadowSettings,
  onStart: (run: ShadowRun) => void,
): Promise<ShadowFigures> {
  const run = new ShadowRun(slot, candidate, settings);
  const untap = slot.tap(run);
  onStart(run);
  try {
    return await run.done;
  } finally {
    untap();
  }
}
