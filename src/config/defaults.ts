import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICY_FILE } from '../policy/default-file';
import { Config } from './types';

/** Compute is re-detected every 10 minutes by default. */
export const DEFAULT_DETECT_CRON = '*/10 * * * *';

/** A stop (SIGTERM/SIGINT) that takes longer than this ends the process anyway, with exit 1. */
export const DEFAULT_GRACE_SECONDS = 30;

/** The growth process yields the CPU to serving and to whatever else the device runs (src/jobs/growth-priority.ts sets it). */
export const DEFAULT_GROWTH_NICE = 19;

export const CONFIG_FILE_NAME = 'config.yaml';

/** Hostnames may hold characters a device id may not (MQTT topic segment): keep what is allowed. */
function defaultDeviceId(): string {
  const cleaned = hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
  return cleaned === '' ? 'device' : cleaned;
}

export function defaultHome(): string {
  return join(homedir(), '.deepend');
}

/** The values used when neither the file nor the environment sets a key (docs/design/daemon.md). */
export function defaultConfig(): Config {
  return {
    home: defaultHome(),
    deviceId: defaultDeviceId(),
    fleet: 'default',
    http: { host: '127.0.0.1', port: 8501, maxConnections: 256 },
    policy: DEFAULT_POLICY_FILE,
    model: { name: 'default' },
    data: 'mnist',
    dataLimit: 0,
    growthNice: DEFAULT_GROWTH_NICE,
    mqtt: {
      url: null,
      embeddedPort: 1883,
      protocolVersion: 5,
      maxPayloadBytes: 65536,
      telemetrySeconds: 60,
      retainedJobs: 20,
      keepaliveSeconds: 30,
      reconnectMinMs: 1000,
      reconnectMaxMs: 60000,
    },
    groups: [],
    detect: { cron: DEFAULT_DETECT_CRON },
    memory: { warnMB: 1024 },
    retention: 5,
    shutdown: { graceSeconds: DEFAULT_GRACE_SECONDS },
    log: { level: 'info' },
  };
}
