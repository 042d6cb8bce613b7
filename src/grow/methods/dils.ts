import { depthOf } from '../../model/arch';
import { Budget } from '../../train/budget';
import { DEFAULT_DILS, DilsOptions } from '../dils/options';
import { isPendingLowestError, planLowestError, SiteScore } from '../dils/placement';
import { runStageOne } from '../dils/stage1';
import { GrowthMethod, InitialiseContext, Initialised, InsertionPlan } from '../types';
import { insertPlanned } from './inserted';

/** Share of the Stage I budget that scoring candidate sites may use under --placement lowest-error. */
export const PLACEMENT_SHARE = 0.25;

/** Splits the init budget into the placement scoring part and the Stage I part. */
function placementBudgets(budget: Budget): { scoring: Budget; stage1: Budget } {
  if (budget.seconds !== undefined) {
    return {
      scoring: { seconds: budget.seconds * PLACEMENT_SHARE, epochs: budget.epochs !== undefined ? 1 : undefined },
      stage1: { seconds: budget.seconds * (1 - PLACEMENT_SHARE), epochs: budget.epochs },
    };
  }
  return { scoring: { epochs: 1 }, stage1: budget };
}

/**
 * DILS (dils-depth-incremental-learning.txt): each new block is inserted after
 * block m, and block m and the new block(s) are fitted so that together they
 * reproduce the parent's block m on the parent's own features (Stage I, eq.
 * 6-7; dense: eq. 12-15 then eq. 7 by backprop; conv/residual: eq. 19-20).
 * Stage II, the global fine-tune with one learning rate, is grow/run.ts.
 * With a pending 'lowest-error' plan the sites are chosen by a short Stage I
 * fit of every candidate.
 */
export function createDilsMethod(overrides: Partial<DilsOptions> = {}): GrowthMethod {
  const options: DilsOptions = { ...DEFAULT_DILS, ...overrides, dense: { ...DEFAULT_DILS.dense, ...overrides.dense } };
  return {
    name: 'dils',
    usesInitBudget: true,
    async initialise(ctx: InitialiseContext): Promise<Initialised> {
      let plan: InsertionPlan = ctx.plan;
      let budget = ctx.budget;
      let placement: SiteScore[] | undefined;
      if (isPendingLowestError(ctx.plan)) {
        const budgets = placementBudgets(ctx.budget);
        const toDepth = depthOf(ctx.parentSpec) + ctx.plan.afterIndices.length;
        const chosen = await planLowestError(ctx, toDepth, budgets.scoring, options);
        plan = chosen.plan;
        placement = chosen.scores;
        budget = budgets.stage1;
      }
      const grown = insertPlanned({ parent: ctx.parent, parentSpec: ctx.parentSpec, plan });
      try {
        const stage1 = await runStageOne(grown, { ...ctx, plan, budget }, options);
        const unfitted = stage1.sites.every(
          (s) => s.start === 'parent+identity' && s.steps === 0 && !s.dense && s.batchNormRestandardised.length === 0,
        );
        return {
          ...(unfitted
            ? {
                identityStart: `Stage I refitted no site (every start reproduced h_m already), so each new block is the identity plus ${options.noise * 100}% noise`,
              }
            : {}),
          model: grown.model,
          spec: grown.spec,
          insertions: grown.insertions,
          curves: stage1.curves,
          plan,
          details: {
            stage1Seconds: stage1.seconds,
            budget,
            plan,
            placement: placement ? { strategy: 'lowest-error', scores: placement } : { strategy: plan.strategy },
            options: { ...options },
            sites: stage1.sites,
          },
        };
      } catch (err) {
        grown.model.dispose();
        throw err;
      }
    },
  };
}

export const dilsMethod = createDilsMethod();
