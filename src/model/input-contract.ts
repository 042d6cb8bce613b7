import type { Normalisation } from '../data/types';

/**
 * How raw local data becomes the model's input: input = (raw * scale - mean) / std,
 * per channel (images) or for every feature (mean/std of one value). Raw means
 * 8-bit pixel values 0..255 for images and CSV values as they are. The predict
 * API takes raw values too, and applies the same contract.
 */
export interface InputContract {
  raw: 'pixels' | 'features';
  scale: number;
  mean: number[];
  std: number[];
  /** Where the contract came from, for inspect and status. */
  reason: string;
}

export interface ContractOptions {
  scale?: number;
  mean?: number[];
  std?: number[];
}

/** The contract of an imported model: as the user said, else none after a Rescaling layer, else the Keras convention 1/255 for 8-bit images. */
export function resolveContract(
  options: ContractOptions,
  raw: InputContract['raw'],
  startsWithScaling: string | undefined,
): InputContract {
  // one value on either side goes with every value on the other (a mean per feature, one std for all)
  const groups = Math.max(options.mean?.length ?? 1, options.std?.length ?? 1);
  const spread = (v: number[] | undefined, fill: number): number[] => {
    if (v === undefined) return new Array<number>(groups).fill(fill);
    return v.length === 1 ? new Array<number>(groups).fill(v[0]) : v;
  };
  const mean = spread(options.mean, 0);
  const std = spread(options.std, 1);
  if (mean.length !== std.length)
    throw new Error(`--input-mean has ${mean.length} values but --input-std has ${std.length}`);
  if (!std.every((s) => s > 0 && Number.isFinite(s))) throw new Error('--input-std values must be positive numbers');
  if (options.scale !== undefined && !(options.scale > 0 && Number.isFinite(options.scale)))
    throw new Error(`--input-scale must be a positive number, got ${options.scale}`);
  const told = options.scale !== undefined || options.mean !== undefined || options.std !== undefined;
  if (told)
    return { raw, scale: options.scale ?? 1, mean, std, reason: 'as given by --input-scale/--input-mean/--input-std' };
  if (raw === 'features') return { raw, scale: 1, mean, std, reason: 'CSV features go in as they are' };
  if (startsWithScaling)
    return {
      raw,
      scale: 1,
      mean,
      std,
      reason: `raw pixels 0..255: the model scales them itself (${startsWithScaling})`,
    };
  return { raw, scale: 1 / 255, mean, std, reason: 'the Keras convention for 8-bit images; --input-scale changes it' };
}

/** The contract as the (x - mean) / std that deepend's data pipeline applies to its data (images there are raw / 255). */
export function dataNormalisation(c: InputContract): Normalisation {
  const unit = c.raw === 'pixels' ? 255 * c.scale : c.scale;
  return { mean: c.mean.map((m) => m / unit), std: c.std.map((s) => s / unit) };
}

/** The contract as the (x - mean) / std that serving applies to raw request values. */
export function servingNormalisation(c: InputContract): Normalisation {
  return { mean: c.mean.map((m) => m / c.scale), std: c.std.map((s) => s / c.scale) };
}

/** e.g. "pixels * 0.00392" or "(pixels - 127.5) / 127.5". */
export function describeContract(c: InputContract): string {
  const raw = c.raw === 'pixels' ? 'pixels' : 'features';
  const scaled = c.scale === 1 ? raw : `${raw} * ${Number(c.scale.toPrecision(4))}`;
  const centred = c.mean.every((m) => m === 0) ? scaled : `(${scaled} - ${c.mean.join('/')})`;
  return c.std.every((s) => s === 1) ? centred : `${centred} / ${c.std.join('/')}`;
}

/** Parses "1/255", "0.5" or "255" as a scale. */
export function parseScale(text: string): number {
  const m = /^\s*([0-9.eE+-]+)\s*(?:\/\s*([0-9.eE+-]+))?\s*$/.exec(text);
  const value = m ? Number(m[1]) / (m[2] !== undefined ? Number(m[2]) : 1) : NaN;
  if (!(value > 0 && Number.isFinite(value)))
    throw new Error(`--input-scale must be a positive number or a fraction like 1/255, got '${text}'`);
  return value;
}
