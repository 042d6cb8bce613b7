/** The daemon's configuration: the contract of docs/design/daemon.md (`src/config/`). */
export { loadConfig } from './load';
export type { LoadConfigOptions } from './load';
export { ConfigError, formatConfigProblem } from './errors';
export { configEnvNames, envName } from './env';
export { CONFIG_FILE_NAME, DEFAULT_DETECT_CRON, defaultConfig } from './defaults';
export type { Config, ConfigProblem, LoadedConfig, MqttConfig } from './types';
