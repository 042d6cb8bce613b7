import { pairedGain } from '../stats/paired-gain';
import type { PolicyRule } from './types';

/** A rule's gate with every default applied: what a job records in its plan and judges by. */
export interface GateSettings {
  minGain: number;
  minAccuracy: number;
  confidence: number;
  maxLoss: number;
}

export const GATE_DEFAULTS = { confidence: 0.95, maxLoss: 0.0025 } as const;

export function gateSettings(
  gate: PolicyRule['gate'] | (Partial<GateSettings> & Pick<GateSettings, 'minGain' | 'minAccuracy'>),
): GateSettings {
  return {
    minGain: gate.minGain,
    minAccuracy: gate.minAccuracy,
    confidence: gate.confidence ?? GATE_DEFAULTS.confidence,
    maxLoss: gate.maxLoss ?? GATE_DEFAULTS.maxLoss,
  };
}

const points = (x: number) => (x * 100).toFixed(2);
const count = (n: number) => n.toLocaleString('en-US');

/** The smallest gain whose exact lower bound clears -maxLoss when the two models disagree on d of n samples. */
export function smallestBoundedGain(n: number, d: number, gate: GateSettings): number | undefined {
  for (let n10 = 0; n10 <= d; n10++) {
    if (pairedGain({ n, n01: d - n10, n10 }, gate.confidence).lowerBound > -gate.maxLoss) return (2 * n10 - d) / n;
  }
  return undefined;
}

/**
 * The gate in words and numbers, for `deepend policy explain`. The standard
 * error is that of one accuracy near `accuracy` on `heldOut` samples,
 * sqrt(a(1 - a) / n); the last figure is what the paired bound asks of a
 * candidate that disagrees with its parent on `disagreement` of them.
 */
export function describeGate(gate: GateSettings, heldOut = 2000, accuracy = 0.97, disagreement = 0.03): string {
  const se = Math.sqrt((accuracy * (1 - accuracy)) / heldOut);
  const d = Math.round(disagreement * heldOut);
  const needed = smallestBoundedGain(heldOut, d, gate);
  const need =
    needed === undefined
      ? 'no gain can bound the loss'
      : `the gain must be at least ${needed >= 0 ? '+' : ''}${points(needed)} points to bound the loss`;
  return [
    `commits when the held-out accuracy is >= ${points(gate.minAccuracy)}%, the gain is >= ${points(gate.minGain)} points`,
    `and, with ${+(gate.confidence * 100).toFixed(2)}% confidence, the candidate is not worse by more than ${points(gate.maxLoss)} points;`,
    `with ${count(heldOut)} held-out samples one standard error at ${Math.round(accuracy * 100)}% is about ${points(se)} points,`,
    `and when the two models disagree on ${Math.round(disagreement * 100)}% of them ${need}`,
  ].join(' ');
}
