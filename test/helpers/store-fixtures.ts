import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const SHIPPED_MODEL = resolve(__dirname, '../../../models/default');

/** A fresh home directory, removed when the test ends. */
export function tempHome(t: { after(fn: () => void): void }, prefix = 'deepend-store-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * A model directory that looks grown from `parentDir`: other weights (one
 * byte changed per `seed`), meta.json naming the parent's digest and a growth
 * record. Enough for the store, which checks files and digests, not TF.js.
 */
export function fakeGrownModel(parentDir: string, dest: string, seed: number, method = 'dils'): string {
  cpSync(parentDir, dest, { recursive: true });
  const weightsPath = join(dest, 'weights.bin');
  const weights = readFileSync(weightsPath);
  weights[seed % weights.length] ^= 0x5a;
  writeFileSync(weightsPath, weights);
  const metaPath = join(dest, 'meta.json');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  const parentSha = meta.weightsSha256;
  meta.parent = { weightsSha256: parentSha, depth: meta.depth };
  meta.growth = [
    ...meta.growth,
    {
      method,
      depthBefore: meta.depth,
      depthAfter: meta.depth,
      insertedBlocks: [],
      accuracyBefore: 0.9,
      accuracyAfter: 0.95,
      seconds: 1,
      at: new Date().toISOString(),
    },
  ];
  meta.metrics = { ...meta.metrics, accuracy: 0.95 };
  meta.weightsSha256 = sha256File(weightsPath);
  writeFileSync(metaPath, JSON.stringify(meta, null, 2));
  return dest;
}
