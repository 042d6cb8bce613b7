import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { MqttConfig } from '../config/types';
import { Backoff } from './backoff';
import { brokerTarget, describeBroker, mqttClientOptions } from './client-options';
import { connectFailure, isProtocolRefusal, type Failure } from './failures';

export type LinkLogFields = Record<string, unknown>;

/** The part of the Logger (src/util/log.ts) the link writes to. */
export interface LinkLog {
  info(msg: string, fields?: LinkLogFields): void;
  warn(msg: string, fields?: LinkLogFields): void;
  error(msg: string, fields?: LinkLogFields): void;
}

/** The Last Will, and the `offline` state `stop()` publishes. */
export interface RetainedMessage {
  topic: string;
  payload: string;
  qos: 1;
  retain: true;
}

export interface MessageProps {
  responseTopic?: string;
  correlationData?: Buffer;
}

export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
  properties?: { correlationData?: Buffer };
}

export interface MqttLinkOptions {
  url: string;
  cfg: MqttConfig;
  /** The device id. */
  clientId: string;
  /** Topics subscribed (QoS 1) after every CONNACK. */
  subscriptions: () => string[];
  will: (session: number) => RetainedMessage;
  /** Called before every connection attempt; the will and `session` carry its value. */
  nextSession: () => number;
  log: LinkLog;
}

/** The broker answered a publish with an error reason code (MQTT 5): sending it again will not help. */
export class PublishRefused extends Error {
  constructor(
    readonly topic: string,
    readonly reason: string,
  ) {
    super(`the broker refused a message on ${topic}: ${reason}`);
    this.name = 'PublishRefused';
  }
}

/** How long `stop()` waits for the `offline` state's PUBACK and for the clean DISCONNECT. */
const STOP_WAIT_MS = 5000;

/**
 * The device's one MQTT connection (docs/design/fleet.md). Each attempt is a fresh
 * mqtt.js client with reconnecting turned off: the will carries the session
 * number of its attempt, the protocol may drop to 3.1.1, and QoS 1 messages
 * of a lost connection are not resent behind the caller's back (the outbox
 * sender resends them, in order).
 *
 * Events: 'connected' (session) once subscribed, 'disconnected' (reason)
 * when an established connection ends, 'message' (topic, payload, props).
 */
export class MqttLink extends EventEmitter {
  private readonly opts: MqttLinkOptions;
  private readonly target: { url: string; username?: string; password?: string };
  private readonly baseOptions: IClientOptions;
  private readonly broker: string;
  private readonly backoff: Backoff;
  private client: MqttClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private attemptFailure: Failure | null = null;
  private lastLoggedFailure: string | null = null;
  private pending = new Set<(err: Error | null) => void>();
  private detach = new WeakMap<MqttClient, () => void>();
  private started = false;
  private stopping: Promise<void> | null = null;
  private _connected = false;
  private _protocolVersion: 4 | 5;
  private _session = 0;

  constructor(opts: MqttLinkOptions) {
    super();
    this.opts = opts;
    this.broker = describeBroker(opts.url);
    this.target = brokerTarget(opts.url, opts.cfg);
    // Reads the PEM files now, so a bad path is a start-up error, not a retry loop.
    this.baseOptions = mqttClientOptions(
      { ...opts.cfg, username: this.target.username, password: this.target.password },
      opts.clientId,
    );
    this._protocolVersion = opts.cfg.protocolVersion;
    this.backoff = new Backoff(opts.cfg.reconnectMinMs, opts.cfg.reconnectMaxMs);
  }

  get connected(): boolean {
    return this._connected;
  }

  get protocolVersion(): 4 | 5 {
    return this._protocolVersion;
  }

  get session(): number {
    return this._session;
  }

  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.opts.log.info('connecting to the MQTT broker', { broker: this.broker, clientId: this.opts.clientId });
    this.attempt();
  }

  /** Resolves on PUBACK (QoS 1) or once written (QoS 0); rejects when not connected or when the connection drops first. */
  publish(topic: string, payload: string, opts: PublishOptions): Promise<void> {
    const client = this.client;
    if (!this._connected || !client)
      return Promise.reject(new Error(`not connected to the MQTT broker ${this.broker}`));
    return this.send(client, topic, payload, opts);
  }

  private send(client: MqttClient, topic: string, payload: string, opts: PublishOptions): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err: Error | null) => {
        if (settled) return;
        settled = true;
        this.pending.delete(settle);
        if (err) reject(err);
        else resolve();
      };
      this.pending.add(settle);
      // MQTT 5: every payload of the contract is UTF-8 JSON (docs/design/fleet/asyncapi.yaml, messageBindings).
      const properties =
        this._protocolVersion === 5
          ? {
              payloadFormatIndicator: true,
              contentType: 'application/json',
              ...(opts.properties?.correlationData ? { correlationData: opts.properties.correlationData } : {}),
            }
          : undefined;
      client.publish(topic, payload, { qos: opts.qos, retain: opts.retain ?? false, properties }, (err) => {
        if (!err) settle(null);
        // A numeric code is the broker's reason code in a PUBACK; anything else is the connection.
        else if (typeof (err as { code?: unknown }).code === 'number' && client === this.client)
          settle(new PublishRefused(topic, err.message.replace(/^Publish error: /, '')));
        else settle(new Error(`not delivered to ${this.broker}: ${err.message}`));
      });
    });
  }

  /** Publishes `last` when connected, then a clean DISCONNECT (the broker drops the will). Idempotent. */
  stop(last?: RetainedMessage): Promise<void> {
    this.stopping ??= this.shutdown(last);
    return this.stopping;
  }

  private async shutdown(last?: RetainedMessage): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    if (!client) return;
    const wasConnected = this._connected;
    // client.connected: the CONNACK came (the link may still be subscribing); the session is up and can end cleanly.
    const clean = client.connected;
    if (clean && last) {
      try {
        await withTimeout(
          this.send(client, last.topic, last.payload, { qos: 1, retain: true }),
          STOP_WAIT_MS,
          'no PUBACK',
        );
      } catch (err) {
        this.opts.log.warn('could not publish the last state before disconnecting', {
          broker: this.broker,
          topic: last.topic,
          reason: (err as Error).message,
        });
      }
    }
    this._connected = false;
    this.client = null;
    this.failPending(new Error('the MQTT link is stopping'));
    // A connection without a CONNACK yet is cut: a DISCONNECT cannot be sent on it.
    await withTimeout(
      new Promise<void>((resolve) => client.end(!clean, {}, () => resolve())),
      STOP_WAIT_MS,
      'no clean close',
    ).catch(() => client.end(true));
    this.release(client);
    if (wasConnected) {
      this.opts.log.info('disconnected from the MQTT broker', { broker: this.broker });
      this.emit('disconnected', 'stopped');
    }
  }

  private attempt(): void {
    this.timer = null;
    if (this.stopping) return;
    let client: MqttClient;
    this.attemptFailure = null;
    try {
      this._session = this.opts.nextSession();
      const will = this.opts.will(this._session);
      const options: IClientOptions = {
        ...this.baseOptions,
        protocolVersion: this._protocolVersion,
        will: {
          ...will,
          payload: Buffer.from(will.payload),
          ...(this._protocolVersion === 5
            ? { properties: { payloadFormatIndicator: true, contentType: 'application/json' } }
            : {}),
        },
      };
      client = mqtt.connect(this.target.url, options);
    } catch (err) {
      this.failed({ key: 'prepare', text: `cannot start a connection: ${(err as Error).message}`, level: 'error' });
      return;
    }
    this.client = client;
    const handlers = {
      connect: () => this.onConnack(client),
      message: (topic: string, payload: Buffer, packet: IPublishPacket) => this.onMessage(topic, payload, packet),
      error: (err: Error) => {
        if (client === this.client) this.attemptFailure = connectFailure(err);
      },
      close: () => this.onClose(client),
    };
    for (const [event, fn] of Object.entries(handlers)) client.on(event as 'connect', fn as () => void);
    this.detach.set(client, () => {
      for (const [event, fn] of Object.entries(handlers)) client.off(event as 'connect', fn as () => void);
    });
  }

  /**
   * Removes the link's listeners from a client it is done with. Only its own:
   * mqtt.js's listeners clear its timers (a connack timeout would hold the
   * process for 30 s), and a late 'error' still needs a listener.
   */
  private release(client: MqttClient): void {
    this.detach.get(client)?.();
    this.detach.delete(client);
    client.on('error', () => {});
  }

  private onConnack(client: MqttClient): void {
    if (client !== this.client || this.stopping) return;
    const topics = this.opts.subscriptions();
    const done = () => {
      if (client !== this.client || this.stopping || !client.connected) return;
      this._connected = true;
      this.backoff.reset();
      this.lastLoggedFailure = null;
      this.opts.log.info('connected to the MQTT broker', {
        broker: this.broker,
        protocol: this._protocolVersion === 5 ? 'MQTT 5' : 'MQTT 3.1.1',
        session: this._session,
      });
      this.emit('connected', this._session);
    };
    if (topics.length === 0) {
      done();
      return;
    }
    client.subscribe(
      Object.fromEntries(topics.map((topic) => [topic, { qos: 1 as const }])),
      (err, _granted, packet) => {
        if (err) {
          const granted = (packet as { granted?: number[] } | undefined)?.granted;
          if (!granted) {
            if (!client.connected) return; // the connection went away before the SUBACK; onClose retries
            this.opts.log.error('cannot subscribe', { broker: this.broker, topics, reason: err.message });
          }
          granted?.forEach((code, i) => {
            if (code & 0x80)
              this.opts.log.warn('the MQTT broker refused a subscription', {
                broker: this.broker,
                topic: topics[i],
                code,
              });
          });
        }
        done();
      },
    );
  }

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const props: MessageProps = {};
    const p = packet.properties;
    if (p?.responseTopic !== undefined) props.responseTopic = p.responseTopic;
    if (p?.correlationData !== undefined) props.correlationData = Buffer.from(p.correlationData);
    this.emit('message', topic, payload, props);
  }

  private onClose(client: MqttClient): void {
    if (client !== this.client) return;
    this.client = null;
    this.release(client);
    client.end(true);
    const wasConnected = this._connected;
    this._connected = false;
    const failure = this.attemptFailure ?? { key: 'closed', text: 'the connection was closed', level: 'warn' as const };
    this.failPending(new Error(`connection to ${this.broker} lost before the broker acknowledged`));
    if (this.stopping) return;
    if (wasConnected) {
      this.opts.log.warn('lost the MQTT broker', { broker: this.broker, reason: failure.text });
      this.emit('disconnected', failure.text);
    }
    if (!wasConnected && this._protocolVersion === 5 && this.attemptFailure && isProtocolRefusal(this.attemptFailure)) {
      this._protocolVersion = 4;
      this.opts.log.info('the MQTT broker refuses MQTT 5: speaking MQTT 3.1.1 to it from now on', {
        broker: this.broker,
      });
      this.timer = setTimeout(() => this.attempt(), 0);
      return;
    }
    if (wasConnected) this.scheduleRetry();
    else this.failed(failure);
  }

  /** One log line for the first failure and for each change of failure, not for every retry. */
  private failed(failure: Failure): void {
    const delay = this.backoff.next();
    if (failure.key !== this.lastLoggedFailure) {
      this.lastLoggedFailure = failure.key;
      this.opts.log[failure.level]('cannot connect to the MQTT broker; retrying with backoff', {
        broker: this.broker,
        reason: failure.text,
        retryInMs: delay,
      });
    }
    this.schedule(delay);
  }

  private scheduleRetry(): void {
    this.schedule(this.backoff.next());
  }

  private schedule(delay: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => this.attempt(), delay);
  }

  private failPending(err: Error): void {
    for (const fail of [...this.pending]) fail(err);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
