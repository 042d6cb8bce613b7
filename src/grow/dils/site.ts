import { ArchSpec, Block } from '../../model/arch';
import { blockInputChannels } from '../../model/features';
import { Insertion } from '../../model/surgery';

/**
 * One DILS sub-problem (eq. 7): the parent's block m (h_{m-1} -> h_m) is split
 * into g = block m (same name, refitted) followed by the new block(s) f
 * (eq. 17: h_m = f ∘ g; several blocks inserted after m chain as f_k ∘ ... ∘ f_1 ∘ g).
 */
export interface Site {
  /** m: index of the split block in the parent's block list. */
  index: number;
  /** Block m as it is in the grown spec (a conv block's pool has moved to the last new block). */
  g: Block;
  /** The new blocks after m, in order, as in the grown spec. */
  fs: Block[];
  /** Channels (units) entering block m. */
  inChannels: number;
  /** For reports and progress: e.g. "b1 -> b1+b5". */
  label: string;
}

/** The sites of a grown spec, one per distinct parent block that gets new blocks after it, in block order. */
export function sitesOf(parentSpec: ArchSpec, grownSpec: ArchSpec, insertions: Insertion[]): Site[] {
  const byIndex = new Map<number, string[]>();
  for (const ins of insertions) {
    const list = byIndex.get(ins.afterIndex) ?? [];
    list.push(ins.inserted);
    byIndex.set(ins.afterIndex, list);
  }
  const blockNamed = (name: string): Block => {
    const found = grownSpec.blocks.find((b) => b.name === name);
    if (!found) throw new Error(`grown spec has no block ${name}`);
    return found;
  };
  return [...byIndex.keys()]
    .sort((a, b) => a - b)
    .map((index) => {
      const g = blockNamed(parentSpec.blocks[index].name);
      // The new blocks follow g directly in the grown spec, in chain order.
      const start = grownSpec.blocks.indexOf(g) + 1;
      const names = new Set(byIndex.get(index));
      const fs = grownSpec.blocks.slice(start, start + names.size);
      if (fs.some((b) => !names.has(b.name)))
        throw new Error(`new blocks after ${g.name} are not contiguous in the grown spec`);
      return {
        index,
        g,
        fs,
        inChannels: blockInputChannels(parentSpec, index),
        label: `${g.name} -> ${[g, ...fs].map((b) => b.name).join('+')}`,
      };
    });
}
