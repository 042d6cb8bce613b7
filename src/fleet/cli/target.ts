/*
 * Which broker and fleet a `deepend fleet` command talks to: --url, else the
 * config's mqtt.url (DEEPEND_MQTT_URL), else the local daemon's embedded
 * broker; --fleet, else the config's fleet. TLS and credentials come from the
 * config and its DEEPEND_MQTT_* variables, except that `user:password@` in
 * --url wins: what the operator typed for this command is what it means.
 */
import { join } from 'node:path';
import { ParsedArgs, UsageError } from '../../cli-kit/args';
import { loadConfig, MqttConfig } from '../../config';
import { brokerTarget } from '../../mqtt/client-options';
import { isTopicSegment, RESERVED_SEGMENTS } from '../../contract/topics';
import { STATE_FILE_NAME } from './rollout-state';

const URL_PATTERN = /^(mqtts?|wss?|tcp|tls):\/\/[^/]/;

export interface FleetTarget {
  url: string;
  fleet: string;
  mqtt: MqttConfig;
  /** The deepend home of the config (default place of the rollout state file). */
  home: string;
}

export function resolveTarget(args: ParsedArgs): FleetTarget {
  const { config } = loadConfig({ file: args.values.get('config') });
  const fleet = args.values.get('fleet') ?? config.fleet;
  if (!isTopicSegment(fleet))
    throw new UsageError(`--fleet '${fleet}' is not a fleet name: use letters, digits, '.', '_' or '-'`);
  const flagUrl = args.values.get('url');
  if (flagUrl !== undefined && !URL_PATTERN.test(flagUrl))
    throw new UsageError(`--url must start with mqtt://, mqtts://, ws://, wss://, tcp:// or tls://, got '${flagUrl}'`);
  let url = flagUrl ?? config.mqtt.url;
  if (url === null) {
    // A daemon with embeddedPort 0 picks a free port the CLI cannot know.
    if (config.mqtt.embeddedPort === 0)
      throw new UsageError('mqtt.url is not set and mqtt.embeddedPort is 0 (a port the daemon picks): pass --url');
    url = `mqtt://127.0.0.1:${config.mqtt.embeddedPort}`;
  }
  const typed = flagUrl === undefined ? undefined : brokerTarget(flagUrl, {});
  if (typed?.username !== undefined) {
    const mqtt = { ...config.mqtt, username: typed.username, password: typed.password ?? config.mqtt.password };
    return { url: typed.url, fleet, mqtt, home: config.home };
  }
  return { url, fleet, mqtt: config.mqtt, home: config.home };
}

export function defaultStateFile(target: FleetTarget): string {
  return join(target.home, STATE_FILE_NAME);
}

/** A device id as the contract allows it (one topic segment, not the group subtree). */
export function checkDeviceId(device: string): string {
  if (!isTopicSegment(device) || RESERVED_SEGMENTS.includes(device))
    throw new UsageError(
      `'${device}' is not a device id: use letters, digits, '.', '_' or '-' (at most 128, starting with a letter or digit)`,
    );
  return device;
}
