/** Compute detection: the contract of docs/design/daemon.md (`src/compute/detect.ts`). */
import { computeFacts } from './hardware/facts';
import { computeFingerprint } from './hardware/fingerprint';
import { readRawHardware } from './hardware/read';
import { ComputeFacts, RawHardware } from './hardware/types';

export { computeFacts } from './hardware/facts';
export { computeFingerprint, fingerprintFields } from './hardware/fingerprint';
export { readRawHardware } from './hardware/read';
export { readRecordedHardware } from './hardware/recorded';
export type { ComputeFacts, GpuFacts, RawGraphicsController, RawHardware } from './hardware/types';

export interface DetectedCompute {
  raw: RawHardware;
  facts: ComputeFacts;
  fingerprint: string;
}

/** Reads this machine and derives its facts and fingerprint for the backend that loaded. */
export async function detectCompute(backend: string): Promise<DetectedCompute> {
  const raw = await readRawHardware();
  const facts = computeFacts(raw, backend);
  return { raw, facts, fingerprint: computeFingerprint(facts) };
}
