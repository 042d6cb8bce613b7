import { ArchSpec, depthOf } from '../../model/arch';
import { insertBlocks } from '../../model/surgery';
import { Budget } from '../../train/budget';
import { lowestErrorPlan, spreadPlan } from '../planner';
import { InitialiseContext, InsertionPlan } from '../types';
import { fitSite } from './fit-site';
import { DilsOptions } from './options';
import { sitesOf } from './site';

export interface SiteScore {
  afterIndex: number;
  /** Relative held-out Stage I error (MSE / mean h_m^2) after the short fit: comparable between layers. */
  error: number;
  mse: number;
  samples: number;
  seconds: number;
}

/** Most local samples a scoring fit uses: scoring ranks sites, it does not keep the fit. */
export const SCORING_SAMPLES = 1000;

type ScoringContext = Pick<
  InitialiseContext,
  'parent' | 'parentSpec' | 'data' | 'batchSize' | 'learningRate' | 'seed' | 'onProgress' | 'signal'
>;

/**
 * Scores every block of the parent as an insertion site with a short DILS
 * Stage I fit (one new block after it, eq. 7) and returns the relative local
 * error each reached on held-out features. `budget` is for all candidates.
 */
export async function scoreSites(ctx: ScoringContext, budget: Budget, options: DilsOptions): Promise<SiteScore[]> {
  const n = depthOf(ctx.parentSpec);
  const started = performance.now();
  const scores: SiteScore[] = [];
  const scoringOptions: DilsOptions = {
    ...options,
    maxSamplesDense: Math.min(options.maxSamplesDense, SCORING_SAMPLES),
    maxSamplesConv: Math.min(options.maxSamplesConv, SCORING_SAMPLES),
  };
  for (let m = 0; m < n; m++) {
    const used = (performance.now() - started) / 1000;
    const share: Budget = {
      epochs: budget.epochs,
      seconds: budget.seconds !== undefined ? Math.max(0.01, (budget.seconds - used) / (n - m)) : undefined,
    };
    const { spec, insertions } = insertBlocks(ctx.parentSpec, [m]);
    const [site] = sitesOf(ctx.parentSpec, spec, insertions);
    const fit = await fitSite(site, {
      ...ctx,
      budget: share,
      options: scoringOptions,
      seed: ctx.seed + 7919 * (m + 1),
      onProgress: ctx.onProgress
        ? (e) => ctx.onProgress!({ ...e, stage: 'placement', detail: `scoring ${e.detail ?? site.label}` })
        : undefined,
      progressOffset: m / n,
      progressShare: 1 / n,
    });
    fit.local.dispose();
    scores.push({
      afterIndex: m,
      error: fit.report.heldOutError.final.relative,
      mse: fit.report.heldOutError.final.mse,
      samples: fit.report.samples,
      seconds: fit.report.seconds,
    });
  }
  return scores;
}

/** The "where Stage I error is lowest" placement: scores every site, then lowestErrorPlan. */
export async function planLowestError(
  ctx: ScoringContext,
  toDepth: number,
  budget: Budget,
  options: DilsOptions,
): Promise<{ plan: InsertionPlan; scores: SiteScore[] }> {
  const scores = await scoreSites(ctx, budget, options);
  const plan = lowestErrorPlan(
    ctx.parentSpec,
    toDepth,
    scores.map((s) => ({ afterIndex: s.afterIndex, error: s.error })),
  );
  return { plan, scores };
}

/**
 * A plan that asks DILS to choose the sites itself (`--placement lowest-error`):
 * strategy 'lowest-error' without candidate errors. Its afterIndices (the
 * spread plan's) only fix how many blocks are added; DILS replaces them.
 */
export function pendingLowestErrorPlan(spec: ArchSpec, toDepth: number): InsertionPlan {
  const spread = spreadPlan(spec, toDepth);
  return {
    afterIndices: spread.afterIndices,
    strategy: 'lowest-error',
    reason: 'sites to be chosen by the DILS Stage I error of every candidate',
  };
}

/** True for a plan made by pendingLowestErrorPlan (not yet scored). */
export function isPendingLowestError(plan: InsertionPlan): boolean {
  return plan.strategy === 'lowest-error' && plan.candidateErrors === undefined;
}
