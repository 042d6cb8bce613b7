import { existsSync, readFileSync, statSync } from 'node:fs';
import type { ImportFlags } from '../model/open';
import { parseScale } from '../model/input-contract';
import { ParsedArgs, UsageError } from './args';

/** Flags that say how to read a model deepend has not imported yet. */
export const IMPORT_FLAGS = ['freeze-through', 'labels', 'input-scale', 'input-mean', 'input-std'] as const;

export const IMPORT_USAGE =
  '[--freeze-through LAYER] [--labels L1,L2,...|FILE] [--input-scale S] [--input-mean M[,M,M]] [--input-std S[,S,S]]';

function numbers(name: string, text: string): number[] {
  const values = text.split(',').map((v) => Number(v.trim()));
  if (values.length === 0 || values.some((v) => !Number.isFinite(v) || text.trim() === ''))
    throw new UsageError(`--${name} must be a number or a comma-separated list of numbers, got '${text}'`);
  return values;
}

/** --labels: a file with one label per line, or the labels separated by commas. */
function labels(text: string): string[] {
  if (existsSync(text) && statSync(text).isFile()) {
    return readFileSync(text, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '');
  }
  return text.split(',').map((l) => l.trim());
}

export function importFlagsOf(args: ParsedArgs): ImportFlags {
  const v = (name: string) => args.values.get(name);
  const scale = v('input-scale');
  const mean = v('input-mean');
  const std = v('input-std');
  let parsedScale: number | undefined;
  try {
    parsedScale = scale !== undefined ? parseScale(scale) : undefined;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const contract =
    scale === undefined && mean === undefined && std === undefined
      ? undefined
      : {
          scale: parsedScale,
          mean: mean !== undefined ? numbers('input-mean', mean) : undefined,
          std: std !== undefined ? numbers('input-std', std) : undefined,
        };
  return {
    freezeThrough: v('freeze-through'),
    labels: v('labels') !== undefined ? labels(v('labels')!) : undefined,
    contract,
  };
}
