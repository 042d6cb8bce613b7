import { readFileSync } from 'node:fs';
import { RawHardware } from './types';

function fail(file: string, why: string): never {
  throw new Error(`${file} is not recorded hardware (RawHardware): ${why}`);
}

/** Reads a RawHardware JSON file (a test fixture or `scripts/record-hardware` output), checking the fields detection reads. */
export function readRecordedHardware(file: string): RawHardware {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    fail(file, err instanceof Error ? err.message : String(err));
  }
  const raw = value as Partial<RawHardware> | null;
  if (raw === null || typeof raw !== 'object') fail(file, 'not a JSON object');
  if (
    typeof raw.cpu?.cores !== 'number' ||
    typeof raw.cpu.flags !== 'string' ||
    typeof raw.cpu.manufacturer !== 'string' ||
    typeof raw.cpu.brand !== 'string'
  )
    fail(file, 'cpu needs manufacturer, brand, cores and flags');
  if (typeof raw.mem?.total !== 'number') fail(file, 'mem.total (bytes) is missing');
  if (!Array.isArray(raw.graphics?.controllers)) fail(file, 'graphics.controllers is not a list');
  if (typeof raw.osInfo?.platform !== 'string' || typeof raw.osInfo.arch !== 'string')
    fail(file, 'osInfo needs platform and arch');
  return raw as RawHardware;
}
