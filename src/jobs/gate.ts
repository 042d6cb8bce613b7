/** The held-out figures the gate compares, all on one split (report.json's test part). */
export interface GateFigures {
  /** The committed model's accuracy on this split (report.accuracyBefore). */
  accuracyBefore: number;
  /** The candidate's. */
  accuracyAfter: number;
}

export interface GateResult {
  pass: boolean;
  /** Every failed condition in words; empty when passed. */
  reasons: string[];
  figures: GateFigures & { gain: number; minGain: number; minAccuracy: number };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** A candidate is committed only if it reaches minAccuracy and beats the committed model by minGain. */
export function checkGate(f: GateFigures, gate: { minGain: number; minAccuracy: number }): GateResult {
  const gain = f.accuracyAfter - f.accuracyBefore;
  const reasons: string[] = [];
  if (!(f.accuracyAfter >= gate.minAccuracy)) reasons.push(`held-out accuracy ${pct(f.accuracyAfter)} is below the minimum ${pct(gate.minAccuracy)}`);
  if (!(gain >= gate.minGain)) reasons.push(`gain ${pct(gain)} over the committed model's ${pct(f.accuracyBefore)} is below the minimum ${pct(gate.minGain)}`);
  return { pass: reasons.length === 0, reasons, figures: { ...f, gain, minGain: gate.minGain, minAccuracy: gate.minAccuracy } };
}
