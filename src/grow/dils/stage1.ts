import { tfl } from '../../tf';
import { ArchSpec } from '../../model/arch';
import { copyWeightsByName } from '../../model/build';
import { Insertion } from '../../model/surgery';
import { Budget } from '../../train/budget';
import { InitialiseContext, StageCurve } from '../types';
import { fitSite, SiteReport } from './fit-site';
import { DilsOptions } from './options';
import { sitesOf } from './site';

export interface StageOneResult {
  curves: StageCurve[];
  sites: SiteReport[];
  seconds: number;
}

/**
 * DILS Stage I (eq. 6-7): every site is its own sub-problem, fitted on the
 * parent's features, and its fitted g and f are copied into the grown model by
 * layer name. The budget is for all sites together: each runs the budget's
 * epochs over its own local data (one Stage I epoch = one pass of the local
 * samples through every site), and the seconds are shared out in turn, so a
 * site that finishes early leaves its time to the next.
 */
export async function runStageOne(
  grown: { model: tfl.LayersModel; spec: ArchSpec; insertions: Insertion[] },
  ctx: InitialiseContext,
  options: DilsOptions,
): Promise<StageOneResult> {
  const started = performance.now();
  const sites = sitesOf(ctx.parentSpec, grown.spec, grown.insertions);
  const curves: StageCurve[] = [];
  const reports: SiteReport[] = [];
  for (const [i, site] of sites.entries()) {
    const used = (performance.now() - started) / 1000;
    const budget: Budget = {
      epochs: ctx.budget.epochs,
      seconds:
        ctx.budget.seconds !== undefined ? Math.max(0.01, (ctx.budget.seconds - used) / (sites.length - i)) : undefined,
    };
    const fit = await fitSite(site, {
      parent: ctx.parent,
      parentSpec: ctx.parentSpec,
      data: ctx.data,
      budget,
      batchSize: ctx.batchSize,
      learningRate: ctx.learningRate,
      seed: ctx.seed + 1000 * i,
      options,
      onProgress: ctx.onProgress,
      signal: ctx.signal,
      progressOffset: i / sites.length,
      progressShare: 1 / sites.length,
    });
    try {
      const copied = new Set(copyWeightsByName(fit.local, grown.model));
      const missing = fit.local.layers
        .filter((l) => l.getWeights().length > 0 && !copied.has(l.name))
        .map((l) => l.name);
      if (missing.length > 0)
        throw new Error(`DILS Stage I: fitted layers ${missing.join(', ')} have no match in the grown model`);
    } finally {
      fit.local.dispose();
    }
    reports.push(fit.report);
    curves.push({
      stage: 'stage1',
      detail: site.label,
      metric: 'mse',
      epochs: fit.epochs,
      seconds: fit.report.seconds,
    });
  }
  return { curves, sites: reports, seconds: (performance.now() - started) / 1000 };
}
