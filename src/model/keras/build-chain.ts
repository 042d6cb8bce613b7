import { tfl } from '../../tf';
import { ArchSpec, Block } from '../arch';
import { layerFromDescription } from './layer-factory';

type Sym = tfl.SymbolicTensor;

/** Applies an imported block's layers (fresh, by their Keras configs) to a symbolic tensor. */
export function applyKerasUnit(x: Sym, block: Block): Sym {
  if (block.kind === 'res' || !block.keras) throw new Error(`block ${block.name} is not an imported unit`);
  return block.keras.layers.reduce((y, l) => layerFromDescription(l).apply(y) as Sym, x);
}

/** The graph of a family-'keras' spec: its input, then every chain item in order. Weights are fresh. */
export function buildChain(spec: ArchSpec): tfl.LayersModel {
  if (!spec.chain) throw new Error('a keras spec needs its chain');
  const blocks = new Map(spec.blocks.map((b) => [b.name, b]));
  const input = tfl.input({ shape: spec.inputShape, name: spec.inputName ?? 'input' });
  let x: Sym = input;
  for (const item of spec.chain) {
    if ('layer' in item) {
      x = layerFromDescription(item.layer).apply(x) as Sym;
      continue;
    }
    const block = blocks.get(item.block);
    if (!block) throw new Error(`the chain names block ${item.block}, which the spec does not have`);
    x = applyKerasUnit(x, block);
  }
  return tfl.model({ inputs: input, outputs: x, name: 'deepend_chain' });
}
