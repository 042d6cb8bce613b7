import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir } from './durable';
import { modelRoot, versionDir } from './model-layout';

/** Where quarantined versions go: models/NAME/.quarantine/vN-STAMP. Never deleted by deepend. */
export const QUARANTINE_DIR = '.quarantine';

export function quarantineRoot(home: string, name: string): string {
  return join(modelRoot(home, name), QUARANTINE_DIR);
}

/**
 * Moves vN aside into models/NAME/.quarantine/ with one rename (same
 * filesystem), so nothing lists, serves or prunes it again, and an operator
 * can still look at it. Returns where it went; a vN that is already gone is
 * left alone (undefined).
 */
export function quarantineVersionDir(
  home: string,
  name: string,
  version: number,
  now = new Date(),
): string | undefined {
  const dir = versionDir(home, name, version);
  if (!existsSync(dir)) return undefined;
  const root = quarantineRoot(home, name);
  mkdirSync(root, { recursive: true });
  const target = join(root, `v${version}-${now.toISOString().replace(/[:.]/g, '-')}`);
  renameSync(dir, target);
  fsyncDir(root);
  fsyncDir(modelRoot(home, name));
  return target;
}
