import type { GrowReport } from '../grow/report';
import type { CurvePicture, Reference } from './learning-curve-svg';

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/**
 * The learning curve of a growth run as a user reads it: the stages, Stage I
 * and Stage II marked, the parent's held-out accuracy and, when a daemon job
 * grew it, the gate's threshold (parent + minGain, and minAccuracy when it
 * is the higher of the two).
 */
export function growthPicture(report: GrowReport): CurvePicture {
  const references: Reference[] = [{ label: 'parent', accuracy: report.accuracyBefore, kind: 'parent' }];
  if (report.gate) {
    const gain = report.accuracyBefore + report.gate.minGain;
    const line: Reference =
      gain >= report.gate.minAccuracy
        ? { label: `gate: parent + ${(report.gate.minGain * 100).toFixed(2)} points`, accuracy: gain, kind: 'gate' }
        : { label: 'gate: minimum accuracy', accuracy: report.gate.minAccuracy, kind: 'gate' };
    // a gate that lets everything through (tests) has no line worth squeezing the panel for
    if (line.accuracy > 0) references.push(line);
  }
  return {
    title: `${report.method}: depth ${report.depthBefore} → ${report.depthAfter}, held-out ${pct(report.accuracyBefore)} → ${pct(report.accuracyAfter)}`,
    curves: report.curves,
    references,
    phases: report.phases,
  };
}
