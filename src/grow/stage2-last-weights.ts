import { pairedGain } from '../stats/paired-gain';
import { discordantCounts } from '../stats/bitset';

/** Stage II's last weights against its start, on the validation part (same samples, paired). */
export interface LastVersusStart {
  /** Validation accuracy of the last weights minus the start's (fraction). */
  gain: number;
  /** Samples only the start got right, and only the last weights got right. */
  startOnly: number;
  lastOnly: number;
  /** True when the validation part shows the last weights worse than the start at `confidence`. */
  worse: boolean;
  confidence: number;
}

/** Stage II keeps its last weights unless they are worse than its start at this (one-sided) confidence. */
export const LAST_WORSE_CONFIDENCE = 0.95;

/**
 * Whether Stage II's last weights are worse than its start on the validation
 * part: the exact paired test of src/stats/paired-gain.ts with the roles turned
 * round (the start as the candidate), "worse" when the start's lower bound of
 * gain over the last weights is above zero.
 *
 * Why the last weights and not the best validation checkpoint: the schedule
 * decays the learning rate to 0.05x by the budget's end, and on held-out data
 * the last weights were the best of the run (the held-out curve rises to the end
 * on every split measured, docs/design/dils.md), while the best-scoring of some
 * twenty checkpoints on a thousand validation samples was an early, noisy one.
 */
export function lastVersusStart(
  startCorrect: ArrayLike<number>,
  lastCorrect: ArrayLike<number>,
  confidence = LAST_WORSE_CONFIDENCE,
): LastVersusStart {
  const c = discordantCounts(startCorrect, lastCorrect);
  const startOverLast = pairedGain({ n: c.n, n01: c.n10, n10: c.n01 }, confidence);
  return {
    gain: c.n > 0 ? (c.n10 - c.n01) / c.n : 0,
    startOnly: c.n01,
    lastOnly: c.n10,
    worse: startOverLast.lowerBound > 0,
    confidence,
  };
}
