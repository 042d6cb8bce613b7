import { buildModel, copyWeightsByName } from '../../model/build';
import { GrowthMethod, InitialiseContext, Initialised } from '../types';
import { insertPlanned } from './inserted';

/**
 * `scratch`: the grown architecture (same blocks as the growth methods would
 * make) from random init, trained for the same budget in the pipeline's
 * Stage II. Nothing is inherited from the parent.
 */
export const scratchBaseline: GrowthMethod = {
  name: 'scratch',
  usesInitBudget: false,
  async initialise(ctx: InitialiseContext): Promise<Initialised> {
    const planned = insertPlanned(ctx);
    planned.model.dispose();
    return {
      model: buildModel(planned.spec),
      spec: planned.spec,
      insertions: planned.insertions,
      curves: [],
      details: { init: 'heNormal, nothing inherited' },
    };
  },
};

/** `continue`: keep training the shallow parent (a copy) for the same budget; depth unchanged. */
export const continueBaseline: GrowthMethod = {
  name: 'continue',
  usesInitBudget: false,
  async initialise(ctx: InitialiseContext): Promise<Initialised> {
    const model = buildModel(ctx.parentSpec);
    copyWeightsByName(ctx.parent, model);
    return { model, spec: ctx.parentSpec, insertions: [], curves: [], details: { depthUnchanged: true } };
  },
};
