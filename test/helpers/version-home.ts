import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../src/store';
import {
  addVersionFromCandidate,
  candidateDir,
  flipCurrent,
  importShipped,
  versionDir,
} from '../../src/store/model-dirs';
import { DEFAULT_MODEL } from './cli';

/**
 * Writes a home whose model `default` has committed versions 1..count, each
 * one served in turn (as upgrades would leave it): v1 is the shipped model,
 * every later one a copy whose last weight value is nudged (different
 * weights, a valid sha256 in its meta.json), without running TF.js.
 */
export function homeWithVersions(home: string, count: number): void {
  const store = openStore(home);
  try {
    importShipped(home, 'default', DEFAULT_MODEL, store);
    for (let v = 2; v <= count; v++) {
      const dir = candidateDir(store.home, 'default', `seed-${v}`);
      cpSync(DEFAULT_MODEL, dir, { recursive: true });
      const weights = readFileSync(join(dir, 'weights.bin'));
      weights.writeFloatLE(weights.readFloatLE(weights.length - 4) + v * 1e-3, weights.length - 4);
      writeFileSync(join(dir, 'weights.bin'), weights);
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as {
        weightsSha256: string;
        createdAt: string;
      };
      meta.weightsSha256 = createHash('sha256').update(weights).digest('hex');
      meta.createdAt = new Date(Date.UTC(2026, 0, v)).toISOString();
      writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
      addVersionFromCandidate(home, 'default', dir, v, store, { parent: v - 1 });
      store.setCommitted('default', v);
      flipCurrent(home, 'default', v);
    }
  } finally {
    store.close();
  }
}

/** Flips one bit in the middle of vN's weights.bin (what a bad SD card does); returns the file's new bytes. */
export function flipBit(home: string, version: number): Buffer {
  const file = join(versionDir(home, 'default', version), 'weights.bin');
  const bytes = readFileSync(file);
  bytes[bytes.length >> 1] ^= 0x10;
  writeFileSync(file, bytes);
  return bytes;
}
