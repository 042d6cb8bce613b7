/**
 * Prints this machine's RawHardware as JSON, the shape of the recorded fixtures
 * in test/fixtures/hardware/:  node dist/scripts/record-hardware.js > FILE.json
 */
import { readRawHardware } from '../src/compute/detect';

readRawHardware().then(
  (raw) => process.stdout.write(`${JSON.stringify(raw, null, 2)}\n`),
  (err: unknown) => {
    process.stderr.write(`record-hardware: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
