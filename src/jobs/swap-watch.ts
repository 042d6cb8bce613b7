import type { JobMessage } from '../contract/messages';
import type { PolicyRule } from '../policy/types';
import type { ModelSlot } from '../serve/model-slot';
import type { ObservedFeedback, ObservedPredict, PredictTap } from '../serve/predict-tap';
import type { VersionTraffic } from '../serve/version-traffic';
import { clopperPearsonLower } from '../stats/binomial';
import { homogeneity } from '../stats/chi-square';
import { quantile } from '../stats/quantile';

/** The policy's `watch` (src/policy/schema.ts says what each field means). */
export type WatchSettings = NonNullable<PolicyRule['watch']>;

/** What the watch measured, and how it ended: the upgrade job's result (and the rollback's request) and the fleet job message carry it (job.schema.json, `watch`). */
export type WatchFigures = NonNullable<JobMessage['watch']>;

/**
 * The watch looks after every request, so a figure must be past its limit at a
 * high confidence (0.999 by default) before it rolls back: many looks at a
 * 95% test would roll back good versions on noise.
 */
export const WATCH_DEFAULTS = {
  maxErrorRate: 0.02,
  maxShift: 0.25,
  maxAccuracyDrop: 0.03,
  minRequests: 20,
  confidence: 0.999,
} as const;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const points = (x: number) => `${(x * 100).toFixed(1)} points`;
const round = (x: number | null, digits = 4) => (x === null ? null : +x.toFixed(digits));

/** 0.5 * sum |p_i - q_i| over the classes of two count vectors; 0 = the same distribution, 1 = disjoint. */
export function totalVariation(a: readonly number[], b: readonly number[]): number {
  const na = a.reduce((s, x) => s + (x ?? 0), 0);
  const nb = b.reduce((s, x) => s + (x ?? 0), 0);
  let sum = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) sum += Math.abs((a[i] ?? 0) / na - (b[i] ?? 0) / nb);
  return sum / 2;
}

/** One-sided Clopper-Pearson upper limit of k successes in n. */
function upperLimit(k: number, n: number, confidence: number): number {
  return 1 - clopperPearsonLower(n - k, n, confidence);
}

/**
 * Lower confidence limit of p1 - p2 for two independent proportions (Newcombe's
 * hybrid method, with exact Clopper-Pearson limits for each): how much worse
 * the second is at least, at `confidence`.
 */
export function dropLowerLimit(k1: number, n1: number, k2: number, n2: number, confidence: number): number {
  const p1 = k1 / n1;
  const p2 = k2 / n2;
  const low1 = clopperPearsonLower(k1, n1, confidence);
  const high2 = upperLimit(k2, n2, confidence);
  return p1 - p2 - Math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2);
}

interface Judged {
  figures: Omit<WatchFigures, 'version' | 'fromVersion' | 'seconds' | 'verdict' | 'reason'>;
  problems: string[];
}

/**
 * The watch's figures for `now` (the new version) against `before` (the old one's traffic), and what
 * is past a limit at the watch's confidence: the failure rate's lower limit above maxErrorRate; the
 * answered classes further than maxShift (total variation) from the old ones and told apart from
 * them by Pearson's chi-square test; the labelled accuracy's drop, at its lower limit, above
 * maxAccuracyDrop; the p99 latency over maxLatencyRatio times the old one (when set). A figure is
 * judged once both versions have answered minRequests requests (the error rate: the new one alone).
 * `latency: false` leaves the p99s out (null): the check after every request skips sorting the
 * latencies unless the policy judges them.
 */
export function judgeWatch(
  now: VersionTraffic,
  before: VersionTraffic,
  s: WatchSettings,
  opts: { latency?: boolean } = {},
): Judged {
  const min = s.minRequests ?? WATCH_DEFAULTS.minRequests;
  const maxErrorRate = s.maxErrorRate ?? WATCH_DEFAULTS.maxErrorRate;
  const maxShift = s.maxShift ?? WATCH_DEFAULTS.maxShift;
  const maxDrop = s.maxAccuracyDrop ?? WATCH_DEFAULTS.maxAccuracyDrop;
  const confidence = s.confidence ?? WATCH_DEFAULTS.confidence;
  const sure = `at ${+(confidence * 100).toFixed(2)}% confidence`;
  const enough = now.requests >= min && before.requests >= min;
  const total = now.requests + now.failures;
  const errorRate = total > 0 ? now.failures / total : null;
  const shift = now.instances > 0 && before.instances > 0 ? totalVariation(now.classCounts, before.classCounts) : null;
  const latency = opts.latency !== false;
  const p99 = latency ? quantile(now.latenciesMs, 0.99) : null;
  const fromP99 = latency ? quantile(before.latenciesMs, 0.99) : null;
  const accuracy = now.labelled > 0 ? now.correct / now.labelled : null;
  const fromAccuracy = before.labelled > 0 ? before.correct / before.labelled : null;
  const problems: string[] = [];
  const v = `v${now.version}`;
  const old = `v${before.version}`;
  if (errorRate !== null && total >= min && clopperPearsonLower(now.failures, total, confidence) > maxErrorRate)
    problems.push(
      `${v} failed ${pct(errorRate)} of ${total} predict requests: more than the limit ${pct(maxErrorRate)} ${sure}`,
    );
  if (enough && shift !== null && shift > maxShift) {
    const test = homogeneity(now.classCounts, before.classCounts);
    if (test.p < 1 - confidence)
      problems.push(
        `${v}'s answered classes moved ${pct(shift)} (total variation) from ${old}'s over ${now.instances} instances, beyond noise ${sure} (chi-square ${test.statistic.toFixed(1)}, ${test.df} df; limit ${pct(maxShift)})`,
      );
  }
  if (
    enough &&
    accuracy !== null &&
    fromAccuracy !== null &&
    dropLowerLimit(before.correct, before.labelled, now.correct, now.labelled, confidence) > maxDrop
  )
    problems.push(
      `${v}'s labelled accuracy ${pct(accuracy)} on ${now.labelled} labels is ${points(fromAccuracy - accuracy)} below ${old}'s ${pct(fromAccuracy)} on ${before.labelled}: more than the limit ${points(maxDrop)} ${sure}`,
    );
  if (
    enough &&
    s.maxLatencyRatio !== undefined &&
    p99 !== null &&
    fromP99 !== null &&
    fromP99 > 0 &&
    p99 > s.maxLatencyRatio * fromP99
  )
    problems.push(
      `${v}'s p99 latency ${p99.toFixed(1)} ms is ${(p99 / fromP99).toFixed(2)}x ${old}'s ${fromP99.toFixed(1)} ms (limit ${s.maxLatencyRatio}x)`,
    );
  return {
    figures: {
      requests: now.requests,
      failures: now.failures,
      errorRate: round(errorRate),
      shift: round(shift),
      p99Ms: round(p99, 2),
      fromP99Ms: round(fromP99, 2),
      labelled: now.labelled,
      accuracy: round(accuracy),
      fromAccuracy: round(fromAccuracy),
    },
    problems,
  };
}

/**
 * The watch after a swap (issue 14): for `minutes`, the new version's live
 * traffic (error rate, answered classes, latency, labelled accuracy) against
 * what the old version answered before the swap. It ends `rolled-back` at the
 * first figure past its limit (the runner then rolls back), `passed` when the
 * minutes run out, `superseded` when another version begins to serve, or
 * `stopped` with the daemon.
 */
export class SwapWatch implements PredictTap {
  readonly done: Promise<WatchFigures>;
  /** When the watch's minutes run out. */
  readonly endsAt: Date;
  private resolve!: (figures: WatchFigures) => void;
  /** What the old version answered before the swap; the new one's traffic is the slot's own count of it. */
  private readonly before: VersionTraffic;
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private readonly untap: () => void;
  private ended = false;

  constructor(
    private readonly slot: ModelSlot,
    readonly version: number,
    readonly fromVersion: number,
    private readonly settings: WatchSettings,
  ) {
    this.endsAt = new Date(Date.now() + settings.minutes * 60_000);
    this.before = slot.traffic.snapshot(fromVersion);
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.timer = setTimeout(() => this.finish('passed'), settings.minutes * 60_000);
    this.untap = slot.tap(this);
  }

  /** The figures so far (the latencies left out), for `deepend status`. */
  now(): Judged['figures'] {
    return this.judge(false).figures;
  }

  /** Ends the watch now: the daemon stops (`stopped`), or a rollback takes the version away (`superseded`). */
  stop(verdict: 'stopped' | 'superseded' = 'stopped'): void {
    this.finish(verdict);
  }

  predicted(p: ObservedPredict): void {
    if (p.served.version !== this.version) this.finish('superseded');
    else this.check();
  }

  failed(version: number): void {
    if (version === this.version) this.check();
  }

  feedback(f: ObservedFeedback): void {
    if (f.version === this.version) this.check();
  }

  private judge(latency: boolean): Judged {
    return judgeWatch(this.slot.traffic.of(this.version), this.before, this.settings, { latency });
  }

  /** After every request of the new version: a figure past its limit ends the watch at once. */
  private check(): void {
    if (!this.ended && this.judge(this.settings.maxLatencyRatio !== undefined).problems.length > 0)
      this.finish('rolled-back');
  }

  private finish(verdict: WatchFigures['verdict']): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.untap();
    const judged = this.judge(true);
    const failed = verdict === 'passed' && judged.problems.length > 0;
    this.resolve({
      version: this.version,
      fromVersion: this.fromVersion,
      seconds: +((performance.now() - this.started) / 1000).toFixed(1),
      verdict: failed ? 'rolled-back' : verdict,
      reason: verdict === 'rolled-back' || failed ? judged.problems.join('; ') : null,
      ...judged.figures,
    });
  }
}

/** One line of what the watch saw, for logs. */
export function describeWatch(f: WatchFigures): string {
  return `watch of v${f.version} (from v${f.fromVersion}) ${f.verdict} after ${f.seconds} s: ${watchFigures(f)}`;
}

/** Why it rolled back, else what it saw: "233 requests, 0 failed, class shift 1.9%, labelled accuracy 99.1%". */
export function watchFigures(f: Pick<WatchFigures, 'reason' | 'requests' | 'failures' | 'shift' | 'accuracy'>): string {
  if (f.reason) return f.reason;
  const shift = f.shift !== null ? `, class shift ${pct(f.shift)}` : '';
  const accuracy = f.accuracy !== null ? `, labelled accuracy ${pct(f.accuracy)}` : '';
  return `${f.requests} requests, ${f.failures} failed${shift}${accuracy}`;
}
