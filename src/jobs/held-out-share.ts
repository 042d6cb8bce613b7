import { DEFAULT_SPLIT } from '../data/split';
import { samplesToBound } from '../stats/paired-gain';
import type { GateOutcomeFigures } from './gate';

/** The share of the local data a growth holds out for the gate, unless a retry needs more. */
export const HELD_OUT_FRACTION = DEFAULT_SPLIT.testFraction;
/** At most this much is held out: the rest trains (half) and validates. */
export const MAX_HELD_OUT_FRACTION = 0.4;

/**
 * The held-out share the retry of a rejected upgrade should use, or undefined
 * to keep `current`. Only a rejection the held-out part's size explains gets a
 * larger one: the candidate gained at least minGain, but the lower confidence
 * bound of that gain stayed below -maxLoss because too few samples were held
 * out (samplesToBound, from the same discordant pairs). The share grows in
 * steps of 5% to what those pairs say is needed, at most MAX_HELD_OUT_FRACTION.
 */
export function heldOutFractionForRetry(figures: Partial<GateOutcomeFigures>, current: number): number | undefined {
  const { n, n01, n10, gain, minGain, lowerBound, confidence, maxLoss } = figures;
  if (typeof n !== 'number' || typeof n01 !== 'number' || typeof n10 !== 'number' || n <= 0) return undefined;
  if (typeof confidence !== 'number' || typeof maxLoss !== 'number' || typeof lowerBound !== 'number') return undefined;
  if (typeof gain !== 'number' || typeof minGain !== 'number' || gain < minGain) return undefined;
  if (lowerBound > -maxLoss) return undefined;
  const needed = samplesToBound({ n, n01, n10 }, confidence, maxLoss);
  if (!Number.isFinite(needed) || needed <= n) return undefined;
  const wanted = Math.ceil(((current * needed) / n) * 20 - 1e-9) / 20;
  const share = Math.min(MAX_HELD_OUT_FRACTION, wanted);
  return share > current + 1e-9 ? share : undefined;
}
