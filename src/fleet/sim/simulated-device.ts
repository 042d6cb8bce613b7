import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig, type Config, type MqttConfig } from '../../config';
import type { Logger } from '../../util/log';
import type { PolicyRule } from '../../policy/types';
import { openStore } from '../../store';
import type { Store } from '../../store/types';
import { FleetAgent } from '../../daemon/fleet/agent';
import type { AgentSources } from '../../daemon/fleet/sources';
import { SimulatedRunner } from './simulated-runner';

/** The model a simulated device starts with: the shipped model's figures (its files are never loaded). */
export interface SimulatedModel {
  name: string;
  depth: number;
  accuracy: number;
  sha256: string;
  dir: string;
}

export interface SimulatedDeviceOptions {
  /** Each device gets ROOT/DEVICE as its home (its own SQLite database). */
  root: string;
  deviceId: string;
  fleet: string;
  groups: string[];
  url: string;
  model: SimulatedModel;
  rule: PolicyRule;
  growSeconds: number;
  /** Negative: the gate rejects this device's candidates (a failing device). */
  accuracyGain: number;
  telemetrySeconds: number;
  /** TLS files and credentials for the broker (the defaults when absent). */
  mqtt?: MqttConfig;
  log: Logger;
}

export interface SimulatedDevice {
  agent: FleetAgent;
  store: Store;
  runner: SimulatedRunner;
  stop(): Promise<void>;
}

function staticSources(opts: SimulatedDeviceOptions): AgentSources {
  return {
    phase: () => 'running',
    hardware: () => ({
      cpu: { model: 'simulated', cores: 2 },
      memoryBytes: 0,
      gpus: [],
      jetson: null,
      unifiedMemory: false,
      arch: process.arch,
      fingerprint: createHash('sha256').update(`simulated:${opts.deviceId}`).digest('hex'),
    }),
    backend: () => 'simulated',
    policy: () => ({ name: 'simulation', hash: '', rule: opts.rule.name, targetDepth: opts.rule.targetDepth ?? null }),
    predictUrl: () => null,
    serving: () => null,
    tensors: () => null,
  };
}

/**
 * One fleet device in simulation mode: the real fleet agent (MQTT link,
 * outbox, commands, desired state) over its own SQLite store, with a
 * SimulatedRunner in place of growth and serving (docs/design/fleet.md).
 */
export async function startSimulatedDevice(opts: SimulatedDeviceOptions): Promise<SimulatedDevice> {
  const home = join(opts.root, opts.deviceId);
  mkdirSync(home, { recursive: true });
  const store = openStore(home);
  if (!store.committedVersion(opts.model.name)) {
    store.atomically(() => {
      store.addModelVersion({
        name: opts.model.name,
        version: 1,
        parent: null,
        depth: opts.model.depth,
        method: null,
        sha256: opts.model.sha256,
        metrics: { accuracy: opts.model.accuracy },
        dir: opts.model.dir,
      });
      store.setCommitted(opts.model.name, 1);
    });
  }
  const base = defaultConfig();
  const config: Config = {
    ...base,
    home,
    deviceId: opts.deviceId,
    fleet: opts.fleet,
    groups: opts.groups,
    model: { name: opts.model.name },
    mqtt: { ...(opts.mqtt ?? base.mqtt), url: opts.url, telemetrySeconds: opts.telemetrySeconds },
  };
  let runner: SimulatedRunner | undefined;
  const agent = new FleetAgent({ config, store, log: opts.log, sources: staticSources(opts), runner: () => runner });
  runner = new SimulatedRunner({
    store,
    modelName: opts.model.name,
    events: agent.jobEvents,
    sim: { growSeconds: opts.growSeconds, accuracyGain: opts.accuracyGain, rule: opts.rule },
  });
  await runner.recover();
  agent.start(opts.url);
  agent.refreshState();
  agent.runnerReady();
  return {
    agent,
    store,
    runner,
    stop: async () => {
      await agent.stop();
      await runner?.stop();
      store.close();
    },
  };
}
