import type { ConfigFile } from './generated-types';

// The config file's types are compiled from CONFIG_SCHEMA (./generated-types.ts,
// where each key's description is); after loading, defaults fill every key but
// the optional ones below.

type Filled<K extends keyof ConfigFile> = Required<NonNullable<ConfigFile[K]>>;
type ModelInFile = NonNullable<ConfigFile['model']>;
type MqttInFile = NonNullable<ConfigFile['mqtt']>;
/** Credentials and key files have no default. */
type MqttOptional = 'username' | 'password' | 'ca' | 'cert' | 'key';

/** The served model: `name` always, the user's own model and its import options when configured. */
export type ModelConfig = Required<Pick<ModelInFile, 'name'>> & Omit<ModelInFile, 'name'>;

/** The fleet link; url null starts the embedded broker. */
export type MqttConfig = Required<Omit<MqttInFile, MqttOptional | 'url'>> &
  Pick<MqttInFile, MqttOptional> & { url: string | null };

/** The daemon's settings after defaults, the YAML file and DEEPEND_* variables are merged (in that order). */
export type Config = Required<
  Pick<
    ConfigFile,
    'home' | 'deviceId' | 'fleet' | 'policy' | 'data' | 'dataLimit' | 'growthNice' | 'groups' | 'retention'
  >
> & {
  http: Filled<'http'>;
  model: ModelConfig;
  mqtt: MqttConfig;
  detect: Filled<'detect'>;
  memory: Filled<'memory'>;
  shutdown: Filled<'shutdown'>;
  log: Filled<'log'>;
};

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
