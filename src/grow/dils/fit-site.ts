import { tf, tfl } from '../../tf';
import { ArchSpec, Block } from '../../model/arch';
import { unitLayerNames } from '../../model/units';
import { blockInputLayer } from '../../model/features';
import { Budget } from '../../train/budget';
import { EpochRecord, LoopResult, StopReason } from '../../train/loop';
import { ProgressCallback, throwIfAborted } from '../../train/progress';
import { GrowthData } from '../types';
import { restandardiseBatchNorm } from './batchnorm-stats';
import { DenseSplitReport, splitDenseLayer } from './dense-split';
import { fitLocal, localError, LocalError } from './local-fit';
import { buildLocalModel, initialiseFIdentity, initialiseGFromParent } from './local-model';
import { DilsOptions } from './options';
import { Site } from './site';
import { disposeSiteFeatures, siteFeatures, SiteFeatures } from './site-data';

export interface SiteReport {
  site: string;
  afterIndex: number;
  g: string;
  f: string[];
  kind: Block['kind'];
  /** How g and f started: 'eq12-15' (dense sparse coding), or 'parent+identity' / 'parent+he'. */
  start: string;
  samples: number;
  heldOutSamples: number;
  dense?: DenseSplitReport;
  /** Eq. 7 / eq. 20 local error on held-out features (validation split): after the start, after the fit. */
  heldOutError: { start: LocalError; final: LocalError };
  /** The same on the fitting samples, after the fit; null when the site needed no fit and no training features. */
  trainError: LocalError | null;
  epochs: number;
  steps: number;
  stoppedBy: StopReason;
  batchNormRestandardised: string[];
  seconds: number;
}

export interface SiteFit {
  /** The fitted local model: its layers carry g's and f's weights by the grown model's names. Dispose after copying. */
  local: tfl.LayersModel;
  report: SiteReport;
  epochs: EpochRecord[];
}

export interface SiteFitContext {
  parent: tfl.LayersModel;
  parentSpec: ArchSpec;
  data: GrowthData;
  budget: Budget;
  batchSize: number;
  learningRate: number;
  seed: number;
  options: DilsOptions;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** 0..1 of Stage I done before this site and the share this site has, for progress fractions. */
  progressOffset: number;
  progressShare: number;
}

/** Eq. 12-15 assume h = ReLU(Wz + b): a dense unit with a bias, a ReLU and nothing else. */
function isReluDense(b: Block): boolean {
  if (b.kind !== 'dense' || b.activation !== 'relu') return false;
  return !b.keras || (unitLayerNames(b).bn === undefined && b.keras.layers[0].config.useBias !== false);
}

/** Eq. 12-15 start for a dense site: g and f_1 from sparse coding, further f_k as the identity. */
function startFromSparseCoding(
  local: tfl.LayersModel,
  parent: tfl.LayersModel,
  site: Site,
  features: SiteFeatures,
  ctx: SiteFitContext,
  started: number,
  deadline: number | undefined,
): DenseSplitReport {
  const [kernel, bias] = parent.getLayer(unitLayerNames(site.g).core).getWeights() as [tf.Tensor2D, tf.Tensor1D];
  const { weights, report } = splitDenseLayer(features.z as tf.Tensor2D, kernel, bias, {
    ...ctx.options.dense,
    deadline,
    shouldStop: () => throwIfAborted(ctx.signal, 'stage1'),
    onIteration: (i, objective) =>
      ctx.onProgress?.({
        stage: 'stage1',
        detail: `${site.label}: eq. 14 alternation ${i}/${ctx.options.dense.iterations}`,
        epoch: 0,
        step: i - 1,
        stepsPerEpoch: ctx.options.dense.iterations,
        loss: objective,
        fraction: ctx.progressOffset + ctx.progressShare * 0.5 * (i / ctx.options.dense.iterations),
        elapsedSeconds: (performance.now() - started) / 1000,
      }),
  });
  local.getLayer(unitLayerNames(site.g).core).setWeights([weights.gKernel, weights.gBias]);
  local.getLayer(unitLayerNames(site.fs[0]).core).setWeights([weights.fKernel, weights.fBias]);
  tf.dispose([weights.gKernel, weights.gBias, weights.fKernel, weights.fBias]);
  site.fs.slice(1).forEach((f, i) => {
    initialiseFIdentity(local, f, ctx.options.noise, ctx.seed + 101 + i);
  });
  return report;
}

/** A site whose start meets Stage I's goal already (options.startTolerance): no local fit. */
function alreadyFitted(): LoopResult {
  return { epochs: [], checkpoints: [], steps: 0, seconds: 0, stoppedBy: 'converged' };
}

/**
 * Stage I for one site (eq. 7): fits g = block m and f = the new block(s) so
 * that f∘g reproduces the parent's h_m on the parent's own h_{m-1}.
 */
export async function fitSite(site: Site, ctx: SiteFitContext): Promise<SiteFit> {
  const started = performance.now();
  const { options } = ctx;
  const dense = site.g.kind === 'dense';
  const useSparseCoding =
    dense && options.denseStart === 'sparse-coding' && isReluDense(site.g) && site.fs.every(isReluDense);
  const maxSamples = dense ? options.maxSamplesDense : options.maxSamplesConv;
  let features: SiteFeatures | undefined;
  let heldOut: SiteFeatures | undefined;
  const local = buildLocalModel(site, zShape(ctx, site));
  try {
    // The training features are computed only when a fit (or a BatchNorm re-estimate) needs them: a site whose
    // start already reproduces h_m costs its held-out check alone.
    const trainFeatures = (): SiteFeatures => {
      features ??= siteFeatures(
        ctx.parent,
        ctx.parentSpec,
        site.index,
        ctx.data.train,
        { maxSamples, maxFloats: options.maxFloats },
        ctx.seed,
      );
      return features;
    };
    if (ctx.data.validation.count > 0 && options.heldOutSamples > 0) {
      heldOut = siteFeatures(
        ctx.parent,
        ctx.parentSpec,
        site.index,
        ctx.data.validation,
        { maxSamples: options.heldOutSamples, maxFloats: options.maxFloats },
        ctx.seed + 1,
      );
    }
    const evalSet = heldOut ?? trainFeatures();

    initialiseGFromParent(local, ctx.parent);
    let dense12to15: DenseSplitReport | undefined;
    if (useSparseCoding) {
      const deadline =
        ctx.budget.seconds !== undefined ? started + ctx.budget.seconds * options.analyticShare * 1000 : undefined;
      dense12to15 = startFromSparseCoding(local, ctx.parent, site, trainFeatures(), ctx, started, deadline);
    } else if (options.fInit === 'identity') {
      site.fs.forEach((f, i) => {
        initialiseFIdentity(local, f, options.noise, ctx.seed + 101 + i);
      });
    }
    const start = localError(local, evalSet.z, evalSet.target);
    throwIfAborted(ctx.signal, 'stage1');

    const spent = (performance.now() - started) / 1000;
    const budget: Budget = {
      epochs: ctx.budget.epochs,
      seconds: ctx.budget.seconds !== undefined ? Math.max(0.01, ctx.budget.seconds - spent) : undefined,
    };
    const fits = start.relative > options.startTolerance;
    if (!fits)
      ctx.onProgress?.({
        stage: 'stage1',
        detail: `${site.label}: the start reproduces h_m already (relative error ${start.relative.toExponential(1)})`,
        epoch: 0,
        step: 0,
        stepsPerEpoch: 1,
        loss: start.mse,
        fraction: ctx.progressOffset + ctx.progressShare,
        elapsedSeconds: (performance.now() - started) / 1000,
      });
    const fit = !fits
      ? alreadyFitted()
      : await fitLocal(local, trainFeatures().z, trainFeatures().target, {
          stage: 'stage1',
          detail: site.label,
          budget,
          batchSize: options.batchSize ?? ctx.batchSize,
          learningRate: options.learningRate ?? ctx.learningRate,
          seed: ctx.seed,
          onProgress: ctx.onProgress
            ? (e) =>
                ctx.onProgress!({
                  ...e,
                  fraction:
                    ctx.progressOffset + ctx.progressShare * (useSparseCoding ? 0.5 + 0.5 * e.fraction : e.fraction),
                })
            : undefined,
          signal: ctx.signal,
        });
    const hasBatchNorm = local.layers.some((l) => l.getClassName() === 'BatchNormalization');
    const batchNormRestandardised = fits || hasBatchNorm ? restandardiseBatchNorm(local, trainFeatures().z) : [];
    const changed = fits || batchNormRestandardised.length > 0;
    const final = changed ? localError(local, evalSet.z, evalSet.target) : start;
    const trainError = features ? localError(local, features.z, features.target) : null;
    return {
      local,
      epochs: fit.epochs,
      report: {
        site: site.label,
        afterIndex: site.index,
        g: site.g.name,
        f: site.fs.map((b) => b.name),
        kind: site.g.kind,
        start: useSparseCoding ? 'eq12-15' : `parent+${options.fInit}`,
        samples: features?.count ?? 0,
        heldOutSamples: heldOut?.count ?? 0,
        dense: dense12to15,
        heldOutError: { start, final },
        trainError,
        epochs: fit.epochs.length,
        steps: fit.steps,
        stoppedBy: fit.stoppedBy,
        batchNormRestandardised,
        seconds: (performance.now() - started) / 1000,
      },
    };
  } catch (err) {
    local.dispose();
    throw err;
  } finally {
    disposeSiteFeatures(features);
    disposeSiteFeatures(heldOut);
  }
}

/** Per-sample shape of z = h_{m-1}: the output of the layer feeding block m in the parent. */
function zShape(ctx: SiteFitContext, site: Site): number[] {
  const layer = ctx.parent.getLayer(blockInputLayer(ctx.parentSpec, site.index));
  return (layer.output as tfl.SymbolicTensor).shape.slice(1) as number[];
}
