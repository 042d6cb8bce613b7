import { ArchSpec, Block } from '../../model/arch';
import { Insertion } from '../../model/surgery';

/** One split: the block whose mapping is decomposed (owner) and the new block after it. */
export interface MorphismSite {
  owner: Block;
  added: Block;
  /** e.g. 'b5 after b1 (conv 3x3 16->16)', for progress and the report. */
  label: string;
}

function describe(b: Block): string {
  switch (b.kind) {
    case 'dense':
      return `dense ${b.units}`;
    case 'conv':
      return `conv ${b.kernel}x${b.kernel} ${b.filters}`;
    case 'res':
      return `residual ${b.filters}, r = ${b.residualRatio}`;
  }
}

/**
 * The sites of a grown spec, in spec order. With several new blocks after the
 * same parent block the owner of each is the block right before it, so a chain
 * m, n1, n2 splits m into (m, n1) and then n1 into (n1, n2).
 */
export function morphismSites(spec: ArchSpec, insertions: Insertion[]): MorphismSite[] {
  const index = new Map(spec.blocks.map((b, i) => [b.name, i]));
  return insertions
    .map((ins) => index.get(ins.inserted)!)
    .sort((a, b) => a - b)
    .map((i) => {
      const owner = spec.blocks[i - 1];
      const added = spec.blocks[i];
      return { owner, added, label: `${added.name} after ${owner.name} (${describe(owner)})` };
    });
}
