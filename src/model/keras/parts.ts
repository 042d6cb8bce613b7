import { tfl } from '../../tf';
import { buildModel, copyWeightsByName } from '../build';
import type { LoadedModel } from '../io';
import { frozenPart } from './frozen';

/** What growth works on: the trainable chain (head) and, for an imported model with one, the frozen part before it. */
export interface GrowthParts {
  head: tfl.LayersModel;
  frozen?: tfl.LayersModel;
}

/**
 * A deepend-built model is its own head. An imported model's head is rebuilt
 * from its chain spec and gets every weight of the model's chain layers by
 * name, so that growth edits a graph of its own and never the user's model.
 */
export function growthParts(loaded: LoadedModel): GrowthParts {
  const { meta, model } = loaded;
  if (meta.family !== 'keras') return { head: model };
  const head = buildModel(meta.arch);
  const copied = new Set(copyWeightsByName(model, head));
  const missing = head.layers.filter((l) => l.getWeights().length > 0 && !copied.has(l.name)).map((l) => l.name);
  if (missing.length > 0) {
    head.dispose();
    throw new Error(
      `${loaded.dir}: the model has no weights of the shapes meta.json describes for ${missing.join(', ')}`,
    );
  }
  return { head, frozen: meta.frozenThrough ? frozenPart(model, meta.frozenThrough) : undefined };
}
