import { tfl } from '../../tf';
import { Block, blockWidth } from '../../model/arch';
import { applyBlock, copyWeightsByName } from '../../model/build';
import { setIdentityWeights } from '../methods/inserted';
import { Site } from './site';

/** How the new block(s) f start before the eq. 19-20 fit. */
export type FInit = 'identity' | 'he';

/**
 * The local sub-network of one site (eq. 17): z -> g -> f_1 -> ... with the
 * same block definitions and layer names as the grown model, but no pooling,
 * since h_m is taken before block m's pool. Weights move to and from the
 * grown model with copyWeightsByName.
 */
export function buildLocalModel(site: Site, inputShape: number[]): tfl.LayersModel {
  const unpooled = (b: Block): Block => (b.kind === 'conv' ? { ...b, poolAfter: false } : b);
  const input = tfl.input({ shape: inputShape, name: `${site.g.name}_local_input` });
  let x = applyBlock(input, unpooled(site.g), site.inChannels);
  let channels = blockWidth(site.g);
  for (const f of site.fs) {
    x = applyBlock(x, unpooled(f), channels);
    channels = blockWidth(f);
  }
  return tfl.model({ inputs: input, outputs: x, name: `dils_local_${site.g.name}` });
}

/** g starts as the parent's block m: copies every layer of the parent with the same name (only g's layers match). */
export function initialiseGFromParent(local: tfl.LayersModel, parent: tfl.LayersModel): string[] {
  return copyWeightsByName(parent, local);
}

/** A new block f started as the identity on its (non-negative) input plus `noise` times the He standard deviation (see setIdentityWeights). */
export function initialiseFIdentity(local: tfl.LayersModel, f: Block, noise: number, seed: number): void {
  setIdentityWeights(local, f, noise, seed);
}
