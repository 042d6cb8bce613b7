import { DeependError } from '../util/deepend-error';
import { readFailureWords } from '../util/read-failure';
import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { MqttConfig } from '../config/types';

/** A PEM file named by config key `mqtt.KEY`; one line naming the key and the file when it cannot be used (never its content). */
function readPem(key: 'ca' | 'cert' | 'key', path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DeependError('config', `mqtt.${key}: cannot read ${path}: ${readFailureWords(err)}`);
  }
  if (!bytes.includes('-----BEGIN '))
    throw new DeependError('config', `mqtt.${key}: ${path} is not a PEM file (no -----BEGIN line)`);
  return bytes;
}

/**
 * mqtt.js options for one connection attempt of the device `clientId`.
 *
 * `clean: true`: the link subscribes again after every CONNACK, so a broker
 * session buys nothing, and a persistent session would make the broker queue
 * QoS 1 commands for a device that is off for weeks. Reconnecting is the
 * link's job (`reconnectPeriod: 0`, `resubscribe: false`): mqtt.js reuses the
 * will and protocol version of its first CONNECT, while the link needs a new
 * will (session number) and possibly MQTT 3.1.1 on every attempt.
 *
 * `writeCache: false`: otherwise mqtt-packet builds 65,536 two-byte Buffers
 * before the first packet, a cache for brokers that write packets by the
 * million. A device or a fleet command writes a handful: `deepend fleet
 * devices` took 0.58 CPU-seconds with the cache and 0.35 without (five runs
 * each), most of the difference building the Buffers and collecting them.
 *
 * Throws one line naming the config key and the file when a PEM file cannot be read.
 */
export function mqttClientOptions(
  cfg: MqttConfig,
  clientId: string,
  protocolVersion: 4 | 5 = cfg.protocolVersion,
): IClientOptions {
  const opts: IClientOptions = {
    clientId,
    protocolVersion,
    clean: true,
    keepalive: cfg.keepaliveSeconds,
    reconnectPeriod: 0,
    resubscribe: false,
    connectTimeout: 30_000,
    writeCache: false,
  };
  if (cfg.username !== undefined) opts.username = cfg.username;
  if (cfg.password !== undefined) opts.password = cfg.password;
  if ((cfg.cert === undefined) !== (cfg.key === undefined)) {
    throw new Error(
      `mqtt.${cfg.cert === undefined ? 'cert' : 'key'}: missing; a client certificate needs both mqtt.cert and mqtt.key`,
    );
  }
  if (cfg.ca !== undefined) opts.ca = readPem('ca', cfg.ca);
  if (cfg.cert !== undefined) opts.cert = readPem('cert', cfg.cert);
  if (cfg.key !== undefined) opts.key = readPem('key', cfg.key);
  if (opts.ca || opts.cert) opts.rejectUnauthorized = true;
  return opts;
}

function splitUrl(url: string): { userinfo: string | null; bare: string } {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(url);
  if (!m) {
    const at = url.lastIndexOf('@');
    return at >= 0 ? { userinfo: url.slice(0, at), bare: url.slice(at + 1) } : { userinfo: null, bare: url };
  }
  const [, scheme, authority, rest] = m;
  const at = authority.lastIndexOf('@');
  if (at < 0) return { userinfo: null, bare: url };
  return { userinfo: authority.slice(0, at), bare: `${scheme}${authority.slice(at + 1)}${rest}` };
}

/** The broker's url for logs and errors: any `user:password@` removed. */
export function describeBroker(url: string): string {
  return splitUrl(url).bare;
}

function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Where to connect and with which credentials: `user:password@` in the url
 * is used only when the config has no username (the config wins), and the url
 * handed to mqtt.js never carries them (mqtt.js would let them override).
 */
export function brokerTarget(
  url: string,
  cfg: Pick<MqttConfig, 'username' | 'password'>,
): { url: string; username?: string; password?: string } {
  const { userinfo, bare } = splitUrl(url);
  if (cfg.username !== undefined || userinfo === null)
    return { url: bare, username: cfg.username, password: cfg.password };
  const colon = userinfo.indexOf(':');
  if (colon < 0) return { url: bare, username: decoded(userinfo), password: cfg.password };
  return { url: bare, username: decoded(userinfo.slice(0, colon)), password: decoded(userinfo.slice(colon + 1)) };
}
