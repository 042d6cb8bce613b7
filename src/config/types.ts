/** The daemon's settings after defaults, the YAML file and DEEPEND_* variables are merged (in that order). */
export interface Config {
  /** State directory (absolute). */
  home: string;
  deviceId: string;
  fleet: string;
  http: { host: string; port: number };
  /** Policy file (absolute). */
  policy: string;
  model: { name: string };
  /** Dataset source for growth and the gate: `mnist` or a path the data loader accepts. */
  data: string;
  /** Fleet broker; null means the embedded broker. */
  mqtt: { url: string | null };
  groups: string[];
  /** When compute is re-detected (cron expression). */
  detect: { cron: string };
  /** The memory watchdog warns when RSS stays above this. */
  memory: { warnMB: number };
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
