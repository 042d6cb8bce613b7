import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../../src/daemon/control-client';
import type { JobView } from '../../src/daemon/status';
export { DaemonProcess } from '../../scripts/lib/daemon-process';
export type { LogLine } from '../../scripts/lib/daemon-process';
import { HardwareFixture, hardwareFixturePath } from './hardware';

/**
 * A test policy: 8+ cores get depth 3, every other device depth 2 (the
 * shipped depth: nothing to do). One Stage II epoch (about ten seconds
 * here, and it gains about half a point, where a few seconds of budget can
 * lose a tenth); the gate lets any candidate that does not lose accuracy through
 * (maxLoss 1: the loss bound is not what these tests check).
 */
export const TEST_POLICY = `name: daemon-test
rules:
  - name: big
    match: { minCores: 8 }
    targetDepth: 3
    method: dils
    maxStep: 1
    budget: { epochs: 1 }
    gate: { minGain: 0, minAccuracy: 0, maxLoss: 1 }
    automatic: true
  - name: small
    match: {}
    targetDepth: 2
    method: dils
    maxStep: 1
    budget: { epochs: 1 }
    gate: { minGain: 0, minAccuracy: 0, maxLoss: 1 }
    automatic: true
`;

export interface TestHome {
  home: string;
  policy: string;
  /** The hardware fixture the daemon reads (DEEPEND_HARDWARE_FIXTURE); setHardware() rewrites it. */
  hardware: string;
  setHardware(name: HardwareFixture): void;
  env: NodeJS.ProcessEnv;
}

/** A temp directory with a home, the test policy and a hardware fixture, and the variables that point the daemon at them. */
export function testHome(t: { after(fn: () => void): void }, hardware: HardwareFixture = 'this-machine'): TestHome {
  const root = mkdtempSync(join(tmpdir(), 'deepend-daemon-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const home = join(root, 'home');
  const policy = join(root, 'policy.yaml');
  const hw = join(root, 'hardware.json');
  writeFileSync(policy, TEST_POLICY);
  const setHardware = (name: HardwareFixture) => copyFileSync(hardwareFixturePath(name), hw);
  setHardware(hardware);
  return {
    home,
    policy,
    hardware: hw,
    setHardware,
    // The embedded MQTT broker on a free port, so that tests never meet a broker on 1883.
    env: {
      DEEPEND_HOME: home,
      DEEPEND_POLICY: policy,
      DEEPEND_HARDWARE_FIXTURE: hw,
      DEEPEND_HTTP_PORT: '0',
      DEEPEND_DEVICE_ID: 'test-device',
      DEEPEND_MQTT_EMBEDDED_PORT: '0',
    },
  };
}

/** Polls GET /jobs/ID until the job has ended. */
export async function waitForJob(client: ControlClient, id: string, timeoutMs = 300_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { job } = await client.ok<{ job: JobView }>('GET', `/jobs/${id}`);
    if (job.endedAt !== null) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** POSTs {"instances": [one zero image]} and returns status and body. */
export async function predictZeros(
  url: string,
  model = 'default',
): Promise<{ status: number; body: { predictions?: number[][] }; version: string | null }> {
  const res = await fetch(`${url}/v1/models/${model}:predict`, {
    method: 'POST',
    body: JSON.stringify({ instances: [new Array(784).fill(0)] }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { predictions?: number[][] },
    version: res.headers.get('x-model-version'),
  };
}
