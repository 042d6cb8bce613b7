import { tfl } from '../tf';
import { ArchSpec, Block, blockName, cloneSpec } from './arch';
import { buildModel, copyWeightsByName } from './build';
import { kerasBlockName, kerasUnitAfter } from './keras/unit-after';

/** One inserted block: the existing block it follows and the new block's name. */
export interface Insertion {
  /** Index in the parent's block list of the block the new one follows. */
  afterIndex: number;
  afterBlock: string;
  inserted: string;
}

export interface InsertionResult {
  spec: ArchSpec;
  insertions: Insertion[];
}

/**
 * A block that maps the output of `prev` to the same shape: what can be inserted
 * after it. It takes prev's activation: after an identity-started PReLU (from
 * morphism) its input may be negative, and a ReLU would not preserve it.
 */
function blockAfter(prev: Block, name: string): Block {
  if (prev.kind !== 'res' && prev.keras) return kerasUnitAfter(prev, name);
  switch (prev.kind) {
    case 'dense':
      return { kind: 'dense', name, units: prev.units, activation: prev.activation };
    case 'conv':
      // The new conv goes before prev's pool, so it works at prev's resolution:
      // DILS splits prev's mapping into two convs at the same place (eq. 17).
      return {
        kind: 'conv',
        name,
        filters: prev.filters,
        kernel: prev.kernel,
        batchNorm: prev.batchNorm,
        activation: prev.activation,
        poolAfter: prev.poolAfter,
      };
    case 'res':
      return { kind: 'res', name, filters: prev.filters, stride: 1, residualRatio: prev.residualRatio };
  }
}

/**
 * Inserts one new block after each listed block index of the parent (an index may
 * repeat to insert several). The result names new blocks b<nextBlockId>, ...
 */
export function insertBlocks(parent: ArchSpec, afterIndices: number[]): InsertionResult {
  const spec = cloneSpec(parent);
  for (const i of afterIndices) {
    if (!Number.isInteger(i) || i < 0 || i >= parent.blocks.length) {
      throw new Error(`cannot insert after block ${i}: the model has blocks 0 to ${parent.blocks.length - 1}`);
    }
  }
  // Highest index first so earlier indices stay valid; a repeated index chains.
  const order = [...afterIndices].sort((a, b) => b - a);
  const insertions: Insertion[] = [];
  const names = new Map<number, string[]>();
  for (const i of [...afterIndices].sort((a, b) => a - b)) {
    const list = names.get(i) ?? [];
    const id = spec.nextBlockId++;
    list.push(spec.family === 'keras' ? kerasBlockName(parent.blocks[i], id) : blockName(id));
    names.set(i, list);
  }
  for (const i of new Set(order)) {
    const prev = spec.blocks[i];
    const created: Block[] = [];
    let last: Block = prev;
    for (const name of names.get(i) ?? []) {
      const b = blockAfter(last, name);
      if (last.kind === 'conv') last.poolAfter = false;
      created.push(b);
      last = b;
      insertions.push({ afterIndex: i, afterBlock: parent.blocks[i].name, inserted: name });
    }
    spec.blocks.splice(i + 1, 0, ...created);
    if (spec.chain) {
      const at = spec.chain.findIndex((item) => 'block' in item && item.block === prev.name);
      spec.chain.splice(at + 1, 0, ...created.map((b) => ({ block: b.name })));
    }
  }
  insertions.sort(
    (a, b) => a.afterIndex - b.afterIndex || a.inserted.localeCompare(b.inserted, 'en', { numeric: true }),
  );
  return { spec, insertions };
}

/** Builds the grown graph and copies every weight the parent has, layer by layer, by name. */
export function buildGrown(parent: tfl.LayersModel, spec: ArchSpec): { model: tfl.LayersModel; copied: string[] } {
  const model = buildModel(spec);
  const copied = copyWeightsByName(parent, model);
  return { model, copied };
}
