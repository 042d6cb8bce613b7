import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf, problem } from './problem';

/** labels.txt (one label a line) or metadata.json's `labels` (Teachable Machine and similar) in `dir`, if any. */
export function readLabels(dir: string): string[] | undefined {
  const txt = join(dir, 'labels.txt');
  if (existsSync(txt)) {
    const labels = readFileSync(txt, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
    if (labels.length === 0) throw problem(txt, 'holds no labels');
    return labels;
  }
  const meta = join(dir, 'metadata.json');
  if (!existsSync(meta)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(meta, 'utf8'));
  } catch (err) {
    throw problem(meta, `not valid JSON (${messageOf(err)})`);
  }
  const labels = (parsed as { labels?: unknown } | null)?.labels;
  if (labels === undefined) return undefined;
  if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string'))
    throw problem(meta, '"labels" must be a list of strings');
  return labels as string[];
}
