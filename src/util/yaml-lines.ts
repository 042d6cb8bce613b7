import { Document, isMap, isScalar, isSeq, LineCounter, Node } from 'yaml';
import type { PathSegment } from './schema-errors';

function startOf(node: Node | null | undefined): number | undefined {
  return node?.range?.[0];
}

/**
 * The 1-based line of the YAML element at `path`: a key's line for a map entry
 * (so `gate:` rather than the first line of its nested block), an item's line
 * for a sequence entry. When the path leaves the document (a missing key), the
 * line of the deepest element that exists.
 */
export function lineOf(doc: Document, lines: LineCounter, path: PathSegment[]): number | null {
  let node = doc.contents as Node | null;
  let offset = startOf(node);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      offset = startOf(pair.key as Node) ?? offset;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      node = node.items[segment] as Node | null;
      offset = startOf(node) ?? offset;
    } else {
      break;
    }
  }
  return offset === undefined ? null : lines.linePos(offset).line;
}
