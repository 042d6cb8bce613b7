import { existsSync, readFileSync, statSync } from 'node:fs';
import type { ImportFlags } from '../model/open';
import { parseScale } from '../model/input-contract';
import { FlagDoc, numberFlag, ParsedArgs, UsageError } from '../cli-kit/args';

/** --data: where the samples come from (the commands that train or measure a model). */
export const DATA_FLAG: FlagDoc = {
  name: 'data',
  value: 'SRC',
  description: 'mnist, a CSV file with a label column, or a folder of class folders of images',
  required: true,
};

/** --data-limit: the config's dataLimit for the commands that train or measure a model. */
export const DATA_LIMIT_FLAG: FlagDoc = {
  name: 'data-limit',
  value: 'N',
  description: 'use at most N samples of --data, taken evenly across its classes (default all)',
};

/** --data-limit's value, or undefined for all of the data. */
export function dataLimitOf(args: ParsedArgs): number | undefined {
  return numberFlag(args, 'data-limit', { integer: true, min: 1 });
}

/** Flags that say how to read a model deepend has not imported yet. */
export const IMPORT_FLAGS: readonly FlagDoc[] = [
  {
    name: 'freeze-through',
    value: 'LAYER',
    description: 'everything up to LAYER stays frozen; growth trains the chain after it',
  },
  {
    name: 'labels',
    value: 'L1,L2,...|FILE',
    description: "class names in the model's output order (or a file, one per line)",
  },
  { name: 'input-scale', value: 'S', description: 'input = raw value * S (e.g. 1/255 or 1)' },
  {
    name: 'input-mean',
    value: 'M[,M,M]',
    description: 'subtracted after the scale (one value, or one per channel or CSV feature)',
  },
  {
    name: 'input-std',
    value: 'S[,S,S]',
    description: 'divided by after the mean (one value, or one per channel or CSV feature)',
  },
];

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
