import { tfl } from '../../tf';
import { deriveSeed } from '../../data/random';
import { buildGrown, insertBlocks } from '../../model/surgery';
import { kerasUnitWithPrelu } from '../../model/keras/unit-after';
import { EpochRecord } from '../../train/loop';
import { OptGDBudget, OPTGD_TOLERANCE } from '../morphism/budget';
import { initialiseResidualBlock } from '../morphism/residual-split';
import { MorphismSite, morphismSites } from '../morphism/sites';
import { SplitResult, splitConv, splitDense, StatisticsData } from '../morphism/split';
import { GrowthMethod, InitialiseContext, Initialised, StageCurve } from '../types';

/** Training samples used to measure the moving variance of an inserted BatchNorm. */
export const STATISTICS_SAMPLES = 256;
/** Points kept per site in the curve (and a tenth of that in details). */
const CURVE_POINTS = 200;
const PROGRESS_EVERY_MS = 100;

export interface MorphismSiteReport {
  site: string;
  kind: 'conv' | 'dense' | 'res';
  iterations: number;
  seconds: number;
  relativeError: number;
  stoppedBy: string;
  targetStd: number;
  firstStd: number;
  secondStd: number;
  batchNorm: string;
  /** l / ||G||^2, subsampled. */
  relativeLosses: number[];
}

function subsample<T>(values: T[], points: number): T[] {
  if (values.length <= points) return values;
  const stride = (values.length - 1) / (points - 1);
  return Array.from({ length: points }, (_, i) => values[Math.round(i * stride)]);
}

function statisticsOf(ctx: InitialiseContext): StatisticsData | undefined {
  const train = ctx.data?.train;
  return train?.x && train.count > 0 ? { x: train.x, limit: STATISTICS_SAMPLES } : undefined;
}

/**
 * Network morphism growth (network-iterative-learning-morphism.txt, sections
 * 3.3-3.4): every new block comes from splitting the block before it so that
 * the network function is kept. PlainNet (mlp, conv): block m's layer G is
 * decomposed into F_l (stays in m, followed by a PReLU with a = 1, eq. 8) and
 * F_{l+1} (the new block) by optGD (Algorithm 1, eq. 5-7). ResNet: the new
 * block's branch decomposes (1 - r) * Id by optGD. Stage II follows in run.ts.
 */
export const morphismMethod: GrowthMethod = {
  name: 'morphism',
  usesInitBudget: true,
  async initialise(ctx: InitialiseContext): Promise<Initialised> {
    const budget = new OptGDBudget(ctx.budget);
    const { spec, insertions } = insertBlocks(ctx.parentSpec, ctx.plan.afterIndices);
    const sites = morphismSites(spec, insertions);
    // eq. 8: a PReLU started at a = 1 sits at each PlainNet split; the new block keeps the original activation.
    for (const s of sites) {
      if (s.owner.kind === 'res') continue;
      if (s.owner.keras) s.owner.keras = (kerasUnitWithPrelu(s.owner) as typeof s.owner).keras;
      s.owner.activation = 'prelu';
    }
    const { model } = buildGrown(ctx.parent, spec);
    try {
      const curves: StageCurve[] = [];
      const reports: MorphismSiteReport[] = [];
      for (let i = 0; i < sites.length; i++) {
        const { result, curve } = runSite(model, sites[i], i, sites.length, ctx, budget);
        curves.push(curve);
        reports.push(siteReport(sites[i], result));
      }
      const details = {
        tolerance: OPTGD_TOLERANCE,
        // conv: F_{l+1} solved on its centre tap (see morphism/conv-decomposition.ts); resnet: both convs.
        support: 'centre',
        iterationCap: budget.iterationCap,
        statisticsSamples: statisticsOf(ctx) ? STATISTICS_SAMPLES : 0,
        totalIterations: reports.reduce((a, r) => a + r.iterations, 0),
        totalSeconds: budget.elapsedSeconds(),
        maxRelativeError: reports.reduce((a, r) => Math.max(a, r.relativeError), 0),
        sites: reports,
      };
      return { model, spec, insertions, curves, details };
    } catch (err) {
      model.dispose();
      throw err;
    }
  },
};

function runSite(
  model: tfl.LayersModel,
  site: MorphismSite,
  index: number,
  count: number,
  ctx: InitialiseContext,
  budget: OptGDBudget,
): { result: SplitResult; curve: StageCurve } {
  const started = performance.now();
  const records: EpochRecord[] = [];
  let lastProgress = 0;
  let meanSquare = 1;
  const progress = (iteration: number, relativeLoss: number, force = false) => {
    const now = performance.now();
    if (!ctx.onProgress || (!force && now - lastProgress < PROGRESS_EVERY_MS)) return;
    lastProgress = now;
    const fraction = budget.fraction(index, iteration / budget.iterationCap, count);
    const elapsed = budget.elapsedSeconds();
    ctx.onProgress({
      stage: 'morphism',
      detail: site.label,
      epoch: index,
      epochs: count,
      step: Math.max(0, iteration - 1),
      stepsPerEpoch: budget.iterationCap,
      loss: relativeLoss,
      fraction,
      elapsedSeconds: elapsed,
      etaSeconds: fraction > 0 ? (elapsed / fraction) * (1 - fraction) : undefined,
    });
  };
  const options = {
    seed: deriveSeed(ctx.seed, index),
    maxIterations: budget.iterationCap,
    tolerance: OPTGD_TOLERANCE,
    deadline: budget.deadlineFor(count - index),
    signal: ctx.signal,
    onIteration: (iteration: number, relativeLoss: number) => {
      records.push({ epoch: iteration, loss: relativeLoss, seconds: (performance.now() - started) / 1000 });
      progress(iteration, relativeLoss);
    },
  };
  let result: SplitResult;
  const { owner, added } = site;
  if (added.kind === 'res') result = initialiseResidualBlock(model, added, options);
  else if (owner.kind === 'conv' && added.kind === 'conv')
    result = splitConv({ model, owner, added, options, statistics: statisticsOf(ctx) });
  else if (owner.kind === 'dense' && added.kind === 'dense')
    result = splitDense({ model, owner, added, options, statistics: statisticsOf(ctx) });
  else throw new Error(`morphism cannot split ${owner.kind} block ${owner.name} into a ${added.kind} block`);
  meanSquare = result.targetMeanSquare;
  progress(result.iterations, result.relativeError ** 2, true);
  // The curve is in mean squared error of the normalised target: (l / ||G||^2) * mean(G^2).
  const epochs = subsample(records, CURVE_POINTS).map((r) => ({ ...r, loss: r.loss * meanSquare }));
  return { result, curve: { stage: 'morphism', detail: site.label, metric: 'mse', epochs, seconds: result.seconds } };
}

function siteReport(site: MorphismSite, r: SplitResult): MorphismSiteReport {
  return {
    site: site.label,
    kind: site.added.kind,
    iterations: r.iterations,
    seconds: r.seconds,
    relativeError: r.relativeError,
    stoppedBy: r.stoppedBy,
    targetStd: r.targetStd,
    firstStd: r.firstStd,
    secondStd: r.secondStd,
    batchNorm: r.batchNorm,
    relativeLosses: subsample(r.relativeLosses, CURVE_POINTS / 10),
  };
}
