import { Block } from '../../model/arch';
import { GrowthMethod, InitialiseContext, Initialised } from '../types';
import { insertPlanned, setIdentityWeights } from './inserted';
import { inexactIdentityReason } from './identity-exact';

/** Symmetry-breaking noise (a fraction of the He standard deviation); 0 keeps the function exactly. */
export const IDENTITY_NOISE = 0;

function refuseInexact(blocks: Block[]): void {
  for (const b of blocks) {
    const reason = inexactIdentityReason(b);
    if (reason) throw new Error(`${reason}: use --method dils, lookahead or random`);
  }
}

/** Net2DeeperNet-style function-preserving insertion (see setIdentityWeights). */
export const identityMethod: GrowthMethod = {
  name: 'identity',
  usesInitBudget: false,
  async initialise(ctx: InitialiseContext): Promise<Initialised> {
    const grown = insertPlanned(ctx);
    try {
      refuseInexact(ctx.parentSpec.blocks.filter((b) => grown.insertions.some((i) => i.afterBlock === b.name)));
      grown.newBlocks.forEach((b, i) => {
        setIdentityWeights(grown.model, b, IDENTITY_NOISE, ctx.seed + i);
      });
    } catch (err) {
      grown.model.dispose();
      throw err;
    }
    return {
      model: grown.model,
      spec: grown.spec,
      insertions: grown.insertions,
      curves: [],
      details: { noise: IDENTITY_NOISE },
    };
  },
};
