import { depthOf } from '../model/arch';
import { windowAngleDegrees } from '../train/angle-stop';
import { provisionalMeta } from './child-meta';
import { GrowReport } from './report';
import { grow, GrowRequest, GrowResult } from './run';

export type UntilStop = 'depth' | 'accuracy' | 'no-gain';

export interface GrowUntilRequest extends Omit<GrowRequest, 'toDepth'> {
  /** Largest depth to grow to. */
  maxDepth: number;
  /** Stop as soon as held-out accuracy reaches this fraction. */
  untilAccuracy?: number;
  /** Blocks added per step (default 1). */
  stepBlocks?: number;
  /** Look-ahead paper's gamma applied across growth steps (default 0.5). */
  gamma?: number;
}

export interface GrowUntilResult extends GrowResult {
  steps: GrowReport[];
  stoppedBy: UntilStop;
}

/**
 * Grow-until: repeated growth steps until the target depth, the target
 * accuracy, or until more depth no longer pays. The last rule is the look-ahead
 * paper's angle test with one growth step as the window: the step's accuracy
 * gain as an angle alpha_i, stop when alpha_i <= gamma * alpha_{i-1} (or the
 * step gained nothing). The best model seen is returned.
 */
export async function growUntil(req: GrowUntilRequest): Promise<GrowUntilResult> {
  const stepBlocks = req.stepBlocks ?? 1;
  const gamma = req.gamma ?? 0.5;
  const steps: GrowReport[] = [];
  let current = req.parent;
  let best: GrowResult | undefined;
  let previousAngle: number | undefined;
  let stoppedBy: UntilStop = 'depth';
  while (depthOf(current.meta.arch) < req.maxDepth) {
    const toDepth = Math.min(req.maxDepth, depthOf(current.meta.arch) + stepBlocks);
    const result = await grow({ ...req, parent: current, toDepth, plan: undefined });
    steps.push(result.report);
    if (best && result.report.accuracyAfter <= best.report.accuracyAfter) {
      result.model.dispose();
      stoppedBy = 'no-gain';
      break;
    }
    // The previous best is the parent of this step; it is replaced, not served.
    if (best) best.model.dispose();
    best = result;
    const gain = result.report.accuracyAfter - result.report.accuracyBefore;
    const angle = windowAngleDegrees([result.report.accuracyBefore, result.report.accuracyAfter]);
    if (req.untilAccuracy !== undefined && result.report.accuracyAfter >= req.untilAccuracy) {
      stoppedBy = 'accuracy';
      break;
    }
    if (gain <= 0 || (previousAngle !== undefined && angle <= gamma * previousAngle)) {
      stoppedBy = 'no-gain';
      break;
    }
    previousAngle = angle;
    current = {
      model: result.model,
      meta: provisionalMeta(current.meta, result.report, result.model.countParams()),
      dir: current.dir,
    };
  }
  if (!best)
    throw new Error(`the model is already at depth ${depthOf(req.parent.meta.arch)}, not below ${req.maxDepth}`);
  return { ...best, steps, stoppedBy };
}
