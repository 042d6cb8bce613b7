import { firstLine } from '../util/deepend-error';
import { readFileSync } from 'node:fs';
import { readRawHardware, RawHardware } from '../compute/detect';

/** Test hook: a recorded RawHardware file read instead of this machine (re-read on every detection). */
export const HARDWARE_FIXTURE_ENV = 'DEEPEND_HARDWARE_FIXTURE';

export type HardwareSource = () => Promise<RawHardware>;

function readFixture(file: string): RawHardware {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${HARDWARE_FIXTURE_ENV}=${file}: ${firstLine(err)}`);
  }
  const r = raw as Partial<RawHardware> | null;
  if (!r || typeof r !== 'object' || !r.cpu || !r.mem || !r.graphics || !r.osInfo) {
    throw new Error(`${HARDWARE_FIXTURE_ENV}=${file}: not a recorded RawHardware (needs cpu, mem, graphics, osInfo)`);
  }
  return r as RawHardware;
}

/** Where detection reads the machine: the fixture file when the variable is set, else systeminformation. */
export function hardwareSource(env: NodeJS.ProcessEnv = process.env): { read: HardwareSource; fixture?: string } {
  const fixture = env[HARDWARE_FIXTURE_ENV]?.trim();
  if (fixture) return { read: async () => readFixture(fixture), fixture };
  return { read: readRawHardware };
}
