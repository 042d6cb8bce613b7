import type { GateSettings } from '../policy/gate';
import { PairedCounts, pairedGain, samplesToBound } from '../stats/paired-gain';

/** The held-out figures the gate compares, all on one split (report.json's test part). */
export interface GateFigures {
  /** The committed model's accuracy on this split (report.accuracyBefore). */
  accuracyBefore: number;
  /** The candidate's. */
  accuracyAfter: number;
  /** The discordant samples of the two models on that split; absent in a candidate grown before deepend recorded them. */
  pairs?: PairedCounts;
}

/** What a job records as its gate result (job history, `deepend jobs`). */
export interface GateOutcomeFigures extends GateSettings {
  accuracyBefore: number;
  accuracyAfter: number;
  gain: number;
  /** One-sided lower confidence bound of the gain (exact, from McNemar's discordant pairs); null without pairs. */
  lowerBound: number | null;
  /** Held-out samples, those only the parent got right, those only the candidate got right. */
  n: number | null;
  n01: number | null;
  n10: number | null;
  /** Exact two-sided McNemar p-value of "equally accurate". */
  pValue: number | null;
}

export interface GateResult {
  pass: boolean;
  /** Every failed condition in words; empty when passed. */
  reasons: string[];
  figures: GateOutcomeFigures;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const pts = (x: number) => `${(x * 100).toFixed(2)} points`;
/**
 * " on these 500 held-out samples": the committed model's accuracy here is measured on this job's split, which
 * with a data limit is not the one `deepend status` shows.
 */
const onSamples = (f: GateFigures) => (f.pairs && f.pairs.n > 0 ? ` on these ${f.pairs.n} held-out samples` : '');
/** A gain in points with its sign: "+0.60 points", "-5.00 points". */
const signedPts = (x: number) => `${x >= 0 ? '+' : ''}${pts(x)}`;
const conf = (c: number) => `${+(c * 100).toFixed(2)}%`;

function boundReason(pairs: PairedCounts, lowerBound: number, g: GateSettings, pValue: number): string {
  const test = `${pairs.n10} vs ${pairs.n01} discordant of ${pairs.n}, McNemar p = ${pValue.toPrecision(2)}`;
  const needed = samplesToBound(pairs, g.confidence, g.maxLoss);
  if (!Number.isFinite(needed)) {
    return `with ${conf(g.confidence)} confidence the candidate is worse than the committed model by up to ${pts(-lowerBound)}, more than the ${pts(g.maxLoss)} allowed (${test})`;
  }
  const more =
    needed > pairs.n
      ? `about ${needed.toLocaleString('en-US')} would be needed at this disagreement rate`
      : 'more would be needed';
  return `the held-out part (${pairs.n} samples) is too small to bound the loss at ${conf(g.confidence)} confidence: the candidate may be worse by up to ${pts(-lowerBound)} (limit ${pts(g.maxLoss)}); ${more} (${test})`;
}

/**
 * A candidate is committed only if it reaches minAccuracy, beats the committed
 * model by minGain, and the one-sided lower confidence bound of its gain on
 * the same held-out samples (src/stats/paired-gain.ts) is above -maxLoss: a
 * point gain alone sits inside the noise of a few thousand samples.
 */
export function checkGate(f: GateFigures, gate: GateSettings): GateResult {
  const gain = f.accuracyAfter - f.accuracyBefore;
  const reasons: string[] = [];
  if (!(f.accuracyAfter >= gate.minAccuracy))
    reasons.push(`held-out accuracy ${pct(f.accuracyAfter)} is below the minimum ${pct(gate.minAccuracy)}`);
  if (!(gain >= gate.minGain))
    reasons.push(
      `gain ${signedPts(gain)} over the committed model's ${pct(f.accuracyBefore)}${onSamples(f)} is below the minimum ${signedPts(gate.minGain)}`,
    );
  const paired = f.pairs && f.pairs.n > 0 ? pairedGain(f.pairs, gate.confidence) : undefined;
  if (!paired)
    reasons.push(
      'the candidate has no per-sample held-out results (grown by an older deepend): its loss cannot be bounded',
    );
  else if (!(paired.lowerBound > -gate.maxLoss))
    reasons.push(boundReason(f.pairs!, paired.lowerBound, gate, paired.pValue));
  return {
    pass: reasons.length === 0,
    reasons,
    figures: {
      accuracyBefore: f.accuracyBefore,
      accuracyAfter: f.accuracyAfter,
      gain,
      ...gate,
      lowerBound: paired?.lowerBound ?? null,
      n: paired?.n ?? null,
      n01: paired?.n01 ?? null,
      n10: paired?.n10 ?? null,
      pValue: paired?.pValue ?? null,
    },
  };
}

/** A gate result in one line: "+0.60 points, 95% lower bound -0.05 (limit -0.25), 31 vs 19 discordant of 2000, McNemar p = 0.12". */
export function describeGateFigures(r: Partial<GateOutcomeFigures>): string | undefined {
  if (typeof r.gain !== 'number') return undefined;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}`;
  const parts = [`gain ${signed(r.gain)} points`];
  if (typeof r.lowerBound === 'number' && typeof r.confidence === 'number') {
    parts.push(
      `${conf(r.confidence)} lower bound ${signed(r.lowerBound)}${typeof r.maxLoss === 'number' ? ` (limit ${signed(-r.maxLoss)})` : ''}`,
    );
  }
  if (typeof r.n === 'number' && typeof r.pValue === 'number')
    parts.push(`${r.n10} vs ${r.n01} discordant of ${r.n}, McNemar p = ${r.pValue.toPrecision(2)}`);
  return parts.join(', ');
}

/**
 * Why no candidate can pass `gate` on this data, or undefined when one could. A candidate does best by
 * breaking none of the parent's right answers (n01 = 0) while fixing some of its errors; the exact bound
 * of checkGate is not monotone in how many (at 95%: -0.90/n for one fix, -1.11/n for two, above zero from
 * five), so every count is tried. A gate that asks for a gain (minGain > 0) needs at least one fix; one
 * that does not is met by a candidate answering as the parent does (bound 0). minGain's size is left to
 * the gate. A rejected upgrade may be retried on a larger held-out share (held-out-share.ts), so this is
 * judged at the largest, `largestN` samples with the errors in proportion. When nothing passes, growing
 * spends the budget on a certain rejection: too few held-out samples to tell a gain from noise.
 */
export function bestCaseRefusal(
  heldOut: { n: number; errors: number },
  largestN: number,
  gate: GateSettings,
): string | undefined {
  const { n, errors } = heldOut;
  if (n <= 0) return undefined;
  const top = Math.max(n, largestN);
  const topErrors = Math.round((errors * top) / n);
  const best = bestBound(top, topErrors, gate);
  if (best !== undefined && best > -gate.maxLoss) return undefined;
  const head = 'the gate cannot be met on this data';
  const more = 'More local data (or a larger dataLimit) lets it grow';
  if (best === undefined)
    return `${head}: the model is right on all ${n} held-out samples, so no candidate can gain the ${pts(gate.minGain)} the gate asks (minGain). ${more}`;
  const needed = heldOutNeeded(top, errors / n, gate);
  const fewer = needed
    ? `; no candidate can pass with fewer than about ${needed.toLocaleString('en-US')} held-out samples at this error rate`
    : '';
  const largest = top > n ? ` (nor on the ${top} the largest held-out share would give)` : '';
  return (
    `${head}: the held-out part has ${n} samples and the model is wrong on ${errors}; ` +
    `no candidate can do better${largest} than a ${conf(gate.confidence)} lower bound of ${pts(best)}, ` +
    `not above the ${pts(-gate.maxLoss)} allowed (maxLoss)${fewer}. ${more}`
  );
}

/**
 * The highest lower bound of a candidate that breaks nothing and fixes some of `errors` (at least one when the
 * gate asks for a gain), or the first one above -maxLoss; undefined when it cannot fix any.
 */
function bestBound(n: number, errors: number, gate: GateSettings): number | undefined {
  let best: number | undefined;
  for (let fixed = gate.minGain > 0 ? 1 : 0; fixed <= errors; fixed++) {
    const bound = pairedGain({ n, n01: 0, n10: fixed }, gate.confidence).lowerBound;
    if (bound > -gate.maxLoss) return bound;
    if (best === undefined || bound > best) best = bound;
  }
  return best;
}

/** About how many held-out samples (more than `from`) the best candidate needs to pass the bound, at this error rate. */
function heldOutNeeded(from: number, errorRate: number, gate: GateSettings): number | undefined {
  if (!(errorRate > 0)) return undefined;
  for (let n = from + 1; n <= 1_000_000; n = Math.ceil(n * 1.05)) {
    const best = bestBound(n, Math.max(1, Math.round(errorRate * n)), gate);
    if (best !== undefined && best > -gate.maxLoss) return n;
  }
  return undefined;
}
