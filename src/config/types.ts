import type { LogLevel } from '../util/log';
/** The daemon's settings after defaults, the YAML file and DEEPEND_* variables are merged (in that order). */
export interface Config {
  /** State directory (absolute). */
  home: string;
  deviceId: string;
  fleet: string;
  /** maxConnections: open connections at most (more are closed as they arrive). */
  http: { host: string; port: number; maxConnections: number };
  /** Policy file (absolute). */
  policy: string;
  model: ModelConfig;
  /** Dataset source for growth and the gate: `mnist` or a path the data loader accepts. */
  data: string;
  mqtt: MqttConfig;
  groups: string[];
  /** When compute is re-detected (cron expression). */
  detect: { cron: string };
  /** The memory watchdog warns when RSS stays above this. */
  memory: { warnMB: number };
  /** Committed model versions kept on disk (plus the committed one, the rollback target and the fleet's desired one). */
  retention: number;
  /** A stop that takes longer than graceSeconds ends the process anyway (exit 1). */
  shutdown: { graceSeconds: number };
  /** The daemon's log: lines below this level are not written. */
  log: { level: LogLevel };
}

/** The served model: the shipped one, or the user's own (path: a TF.js model directory, .h5 or .keras file; absolute after loading). */
export interface ModelConfig {
  name: string;
  path?: string;
  /** Import options for `path` (as the CLI's --freeze-through, --input-scale, --labels). */
  freezeThrough?: string;
  inputScale?: string;
  labels?: string[];
}

/** The fleet link (docs/design/fleet.md). Credentials and key files are never logged. */
export interface MqttConfig {
  /** The fleet broker; null starts the embedded broker on 127.0.0.1:embeddedPort. */
  url: string | null;
  /** Port of the embedded broker; 0 picks a free one. */
  embeddedPort: number;
  /** 5 by default; a broker that refuses MQTT 5 is retried with 3.1.1 (4). */
  protocolVersion: 4 | 5;
  username?: string;
  password?: string;
  /** PEM files for mqtts: the broker's CA, this device's certificate and key (absolute after loading). */
  ca?: string;
  cert?: string;
  key?: string;
  /** Commands larger than this are answered with an error and not parsed. */
  maxPayloadBytes: number;
  /** How often telemetry is sent; 0 turns it off. */
  telemetrySeconds: number;
  keepaliveSeconds: number;
  /** Reconnect backoff: doubles from min to max, with jitter. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

/** Where each value came from, for `deepend status` and error messages. */
export interface LoadedConfig {
  config: Config;
  /** The YAML file read, or null when there was none. */
  file: string | null;
  /** Env variables that overrode a value, e.g. ['DEEPEND_HTTP_PORT']. */
  fromEnv: string[];
}

/** One problem: `file:line: field: message` or `DEEPEND_X=value: field: message`. */
export interface ConfigProblem {
  /** The config file, or `NAME=value` for an environment variable. */
  source: string;
  line: number | null;
  field: string;
  message: string;
}
