import { join, resolve } from 'node:path';
import { RawHardware, readRecordedHardware } from '../../src/compute/detect';

export const HARDWARE_FIXTURES = resolve(__dirname, '../../../test/fixtures/hardware');

export type HardwareFixture = 'this-machine' | 'x86-rtx4090' | 'jetson-orin-nano-8gb' | 'jetson-agx-orin-64gb';

export function hardwareFixturePath(name: HardwareFixture): string {
  return join(HARDWARE_FIXTURES, `${name}.json`);
}

/** A fresh copy each call, so a test can edit it. */
export function rawHardware(name: HardwareFixture): RawHardware {
  return readRecordedHardware(hardwareFixturePath(name));
}
