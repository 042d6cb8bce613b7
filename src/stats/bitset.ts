import type { PairedCounts } from './paired-gain';

/** Packs 0/1 flags into bytes (sample i is bit i % 8 of byte i >> 3) as base64: 2,000 samples take 336 characters. */
export function encodeBits(flags: ArrayLike<number>): string {
  const bytes = new Uint8Array(Math.ceil(flags.length / 8));
  for (let i = 0; i < flags.length; i++) if (flags[i]) bytes[i >> 3] |= 1 << (i & 7);
  return Buffer.from(bytes).toString('base64');
}

/** The n flags encodeBits packed; throws when the text is not n bits of base64. */
export function decodeBits(text: string, n: number): Uint8Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== Math.ceil(n / 8) || bytes.toString('base64') !== text)
    throw new Error(`not a base64 bitset of ${n} samples`);
  const flags = new Uint8Array(n);
  for (let i = 0; i < n; i++) flags[i] = (bytes[i >> 3] >> (i & 7)) & 1;
  return flags;
}

/** The discordant counts of two models' per-sample correctness flags. */
export function discordantCounts(parent: ArrayLike<number>, candidate: ArrayLike<number>): PairedCounts {
  if (parent.length !== candidate.length)
    throw new Error(`the parent was judged on ${parent.length} samples, the candidate on ${candidate.length}`);
  let n01 = 0;
  let n10 = 0;
  for (let i = 0; i < parent.length; i++) {
    if (parent[i] && !candidate[i]) n01++;
    else if (!parent[i] && candidate[i]) n10++;
  }
  return { n: parent.length, n01, n10 };
}
