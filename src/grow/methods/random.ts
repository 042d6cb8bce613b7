import { GrowthMethod, InitialiseContext, Initialised } from '../types';
import { insertPlanned } from './inserted';

/** The papers' "random" baseline: new blocks keep their He-normal initialisation; Stage II does the rest. */
export const randomMethod: GrowthMethod = {
  name: 'random',
  usesInitBudget: false,
  async initialise(ctx: InitialiseContext): Promise<Initialised> {
    const grown = insertPlanned(ctx);
    return {
      model: grown.model,
      spec: grown.spec,
      insertions: grown.insertions,
      curves: [],
      details: { init: 'heNormal' },
    };
  },
};
