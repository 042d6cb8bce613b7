import { Block } from './arch';
import { layerNames } from './build';
import { nameOf } from './keras/layer-factory';

/** The layers of a dense or conv block by role: the Dense/Conv2D, its BatchNorm and its last activation, if any. */
export interface UnitLayerNames {
  core: string;
  bn?: string;
  act?: string;
  /** Every layer of the block, in order (a deepend conv block's pool included). */
  all: string[];
}

/**
 * Where a block's layers are: by deepend's naming scheme for the families it
 * builds, by the model's own layer names for an imported unit. Residual blocks
 * have no single core layer: callers handle them with layerNames.res.
 */
export function unitLayerNames(block: Block): UnitLayerNames {
  if (block.kind === 'res') throw new Error(`residual block ${block.name} has no dense/conv unit`);
  if (block.keras) {
    const layers = block.keras.layers;
    const bn = layers.find((l) => l.className === 'BatchNormalization');
    const acts = layers.slice(1).filter((l) => l.className !== 'BatchNormalization');
    return {
      core: nameOf(layers[0]),
      bn: bn ? nameOf(bn) : undefined,
      act: acts.length > 0 ? nameOf(acts[acts.length - 1]) : undefined,
      all: layers.map(nameOf),
    };
  }
  if (block.kind === 'dense') {
    const n = layerNames.dense(block.name);
    return { core: n.dense, act: n.act, all: [n.dense, n.act] };
  }
  const n = layerNames.conv(block.name);
  const all = [n.conv, ...(block.batchNorm ? [n.bn] : []), n.act, ...(block.poolAfter ? [n.pool] : [])];
  return { core: n.conv, bn: block.batchNorm ? n.bn : undefined, act: n.act, all };
}

/** The layer whose output is the block's output before any pooling: h_m in DILS eq. 7. */
export function unitOutputName(block: Block): string {
  if (block.kind === 'res') return layerNames.res(block.name).out;
  if (block.keras) return nameOf(block.keras.layers[block.keras.layers.length - 1]);
  return unitLayerNames(block).act!;
}
