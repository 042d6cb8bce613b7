import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** package.json's version, read once: births and the files deepend writes carry it. The file sits two levels above dist/src or src. */
function readVersion(): string {
  for (const up of ['../../../..', '../../..']) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'deepend' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next level
    }
  }
  return '0.0.0';
}

export const DAEMON_VERSION = readVersion();
