import type { ShadowFigures } from '../../jobs/shadow-run';
import type { WatchFigures } from '../../jobs/swap-watch';

// What a simulated device reports of its candidate on live traffic (the policy's
// shadow and watch): plausible figures from the simulated accuracies and depths,
// so that the console shows them without devices. Nothing here is measured.

const round = (x: number, digits = 4) => +x.toFixed(digits);
/** A simulated forward time: a deeper network takes longer. */
const forwardMs = (depth: number) => round(0.6 + 0.2 * depth, 2);

export function simulatedShadow(
  servedVersion: number,
  depths: { before: number; after: number },
  accuracy: { before: number; after: number },
  seconds: number,
): ShadowFigures {
  return {
    servedVersion,
    requests: 50,
    instances: 50,
    skipped: 0,
    disagreement: round(Math.abs(accuracy.after - accuracy.before) + 0.01),
    servedP50Ms: forwardMs(depths.before),
    servedP99Ms: round(forwardMs(depths.before) * 2.5, 2),
    candidateP50Ms: forwardMs(depths.after),
    candidateP99Ms: round(forwardMs(depths.after) * 2.5, 2),
    labelled: 20,
    servedAccuracy: round(accuracy.before),
    candidateAccuracy: round(accuracy.after),
    seconds: round(seconds, 1),
    endedBy: 'requests',
  };
}

export function simulatedWatch(
  versions: { version: number; fromVersion: number },
  depths: { before: number; after: number },
  accuracy: { before: number; after: number },
  seconds: number,
): WatchFigures {
  return {
    ...versions,
    seconds: round(seconds, 1),
    verdict: 'passed',
    reason: null,
    requests: 100,
    failures: 0,
    errorRate: 0,
    shift: 0.02,
    p99Ms: round(forwardMs(depths.after) * 2.5 + 1, 2),
    fromP99Ms: round(forwardMs(depths.before) * 2.5 + 1, 2),
    labelled: 40,
    accuracy: round(accuracy.after),
    fromAccuracy: round(accuracy.before),
  };
}
