/*
 * Many simulated fleet devices in one process (docs/design/fleet.md, "Simulation
 * mode"): each is the real fleet agent with its own SQLite store and MQTT
 * connection; growth and serving are simulated. `deepend fleet simulate` and
 * scripts/fleet-sim-host.ts (the fleet benchmark) both start them here.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttConfig } from '../../config';
import type { Logger } from '../../util/log';
import { SHIPPED_MODEL_DIR } from '../../daemon/shipped-model';
import type { PolicyRule } from '../../policy/types';
import { verifyModelDir } from '../../store/model-verify';
import { startSimulatedDevice, type SimulatedDevice } from './simulated-device';

/** The rule every simulated device matches: grow to depth 4 in steps of up to 2 blocks, gate: no loss of accuracy. */
export const SIMULATION_RULE: PolicyRule = {
  name: 'simulation',
  match: {},
  targetDepth: 4,
  method: 'dils',
  maxStep: 2,
  budget: { epochs: 1 },
  gate: { minGain: 0, minAccuracy: 0 },
  // simulated: a short shadow before the swap and a watch after it (simulated-live.ts)
  shadow: { requests: 50, minutes: 1, maxDisagreement: 0.1 },
  watch: { minutes: 1 },
  automatic: false,
};

/** Held-out accuracy change of a healthy simulated candidate, and of a failing one (the gate rejects it). */
export const HEALTHY_GAIN = 0.004;
export const FAILING_GAIN = -0.05;

export interface SimulationOptions {
  url: string;
  fleet: string;
  group: string;
  count: number;
  /** Index of the first device: ids are PREFIX-NNNN from it. */
  first: number;
  prefix: string;
  growSeconds: number;
  telemetrySeconds: number;
  /** Indexes of the devices whose candidates the gate rejects. */
  failing: ReadonlySet<number>;
  /** Where each device's home goes; a fresh temp directory when absent. */
  root?: string;
  /** TLS files and credentials for the broker (the defaults when absent). */
  mqtt?: MqttConfig;
  log: Logger;
  /** Give up when the devices have not all connected by then. */
  connectTimeoutMs?: number;
}

export interface Simulation {
  root: string;
  devices: SimulatedDevice[];
  /** Every device stops cleanly (state `offline`). */
  stop(): Promise<void>;
}

export function simulatedDeviceId(prefix: string, index: number): string {
  return `${prefix}-${String(index).padStart(4, '0')}`;
}

/**
 * Which of `count` devices fail, spread evenly: device i fails when the
 * running total of `rate` crosses a whole number at i (rate 0.25: 3, 7, 11, ...).
 */
export function failingIndexes(first: number, count: number, rate: number): Set<number> {
  const out = new Set<number>();
  for (let k = 0; k < count; k++) if (Math.floor((k + 1) * rate) > Math.floor(k * rate)) out.add(first + k);
  return out;
}

export async function startSimulation(opts: SimulationOptions): Promise<Simulation> {
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'deepend-sim-'));
  const meta = verifyModelDir(SHIPPED_MODEL_DIR);
  const model = {
    name: 'default',
    depth: meta.depth,
    accuracy: Number(meta.metrics.accuracy ?? 0.9),
    sha256: meta.weightsSha256,
    dir: SHIPPED_MODEL_DIR,
  };
  const devices: SimulatedDevice[] = [];
  const stop = () => Promise.all(devices.map((d) => d.stop())).then(() => undefined);
  try {
    for (let i = opts.first; i < opts.first + opts.count; i++) {
      devices.push(
        await startSimulatedDevice({
          root,
          deviceId: simulatedDeviceId(opts.prefix, i),
          fleet: opts.fleet,
          groups: [opts.group],
          url: opts.url,
          model,
          rule: SIMULATION_RULE,
          growSeconds: opts.growSeconds,
          accuracyGain: opts.failing.has(i) ? FAILING_GAIN : HEALTHY_GAIN,
          telemetrySeconds: opts.telemetrySeconds,
          mqtt: opts.mqtt,
          log: opts.log,
        }),
      );
    }
    const deadline = Date.now() + (opts.connectTimeoutMs ?? 60_000);
    while (devices.some((d) => !d.agent.connected())) {
      if (Date.now() > deadline)
        throw new Error(
          `${devices.filter((d) => !d.agent.connected()).length} simulated devices did not connect to ${opts.url} within ${Math.round((opts.connectTimeoutMs ?? 60_000) / 1000)} s`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { root, devices, stop };
}
