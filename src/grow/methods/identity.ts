import { Block } from '../../model/arch';
import { GrowthMethod, InitialiseContext, Initialised } from '../types';
import { insertPlanned, setIdentityWeights } from './inserted';

/** Symmetry-breaking noise (a fraction of the He standard deviation); 0 keeps the function exactly. */
export const IDENTITY_NOISE = 0;

/**
 * An imported block is started as the identity only where that is exact: after
 * a ReLU or ReLU6 its input is non-negative, so W = I passes it through its own
 * activation unchanged. After LeakyReLU, ELU, tanh or a BatchNorm, negative
 * values would pass the activation twice.
 */
export function inexactIdentityReason(b: Block): string | undefined {
  if (b.kind === 'res' || !b.keras || b.activation === 'relu' || b.activation === 'relu6') return undefined;
  const last = b.keras.layers[b.keras.layers.length - 1];
  return `identity insertion is exact only after ReLU or ReLU6; the unit of ${b.name} ends in ${last.className}${last.config.activation ? ` (${String(last.config.activation)})` : ''}`;
}

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
