/*
 * The fleet CLI's MQTT connection. Not the daemon's MqttLink: the CLI has no
 * will, no session counter and no outbox, and it must set an MQTT 5 response
 * topic. It must reach the broker within 5 s (else one line, exit 1); once
 * connected it rides out broker restarts (mqtt.js reconnects and resubscribes),
 * as rollouts and `fleet deepen` wait for a long time.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { brokerTarget, describeBroker, mqttClientOptions } from '../../mqtt/client-options';
import { connectFailure, isAuthRefusal, isProtocolRefusal } from '../../mqtt/failures';
import type { FleetTarget } from './target';

const CONNECT_WAIT_MS = 5000;
const RECONNECT_MS = 2000;

export interface IncomingProps {
  correlationData?: Buffer;
}

export interface OutgoingOptions {
  qos: 0 | 1;
  retain?: boolean;
  /** MQTT 5 only; dropped on a 3.1.1 connection. */
  properties?: { responseTopic?: string; correlationData?: Buffer };
}

export type MessageHandler = (topic: string, payload: Buffer, props: IncomingProps) => void;

/** `deepend-fleet-` and 8 hex digits: 22 characters, within 3.1.1's guaranteed 23. */
export function fleetClientId(): string {
  return `deepend-fleet-${randomBytes(4).toString('hex')}`;
}

/** Where an MQTT 5 device sends this client's command replies. */
export function responseTopicFor(clientId: string): string {
  return `deepend-fleet/${clientId}/reply`;
}

export class FleetConnection {
  private readonly handlers = new Set<MessageHandler>();
  private readonly linkHandlers = new Set<(up: boolean, reason?: string) => void>();
  private up = true;

  private constructor(
    private readonly client: MqttClient,
    readonly clientId: string,
    readonly broker: string,
    readonly protocolVersion: 4 | 5,
  ) {
    client.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) => {
      const props: IncomingProps = {};
      if (packet.properties?.correlationData !== undefined)
        props.correlationData = Buffer.from(packet.properties.correlationData);
      for (const h of this.handlers) h(topic, payload, props);
    });
    client.on('offline', () => this.setUp(false, 'connection lost'));
    client.on('connect', () => this.setUp(true));
    client.on('error', () => {}); // reconnect errors: 'offline' already said the link is down
    client.options.reconnectPeriod = RECONNECT_MS;
    client.options.resubscribe = true;
  }

  /**
   * Connects within 5 s (MQTT 5, or 3.1.1 when the broker refuses 5); else throws `cannot reach the broker at
   * URL: why`, or `the broker at URL refused the connection: not authorised ...` when it refused the credentials.
   */
  static async open(target: FleetTarget, clientId = fleetClientId()): Promise<FleetConnection> {
    const broker = describeBroker(target.url);
    const where = brokerTarget(target.url, target.mqtt);
    const base = mqttClientOptions({ ...target.mqtt, username: where.username, password: where.password }, clientId);
    let version: 4 | 5 = target.mqtt.protocolVersion;
    for (;;) {
      // mqtt.js's own timer past ours: at the same 5 s it fired first on a loaded machine and said 'connack timeout'
      const connectTimeout = CONNECT_WAIT_MS + 1000;
      const outcome = await attempt(where.url, { ...base, protocolVersion: version, connectTimeout });
      if (outcome.client) return new FleetConnection(outcome.client, clientId, broker, version);
      if (version === 5 && outcome.protocolRefused) {
        version = 4;
        continue;
      }
      if (outcome.authRefused)
        throw new Error(
          `the broker at ${broker} refused the connection: not authorised (${outcome.reason}); check mqtt.username and mqtt.password (DEEPEND_MQTT_USERNAME, DEEPEND_MQTT_PASSWORD)`,
        );
      throw new Error(`cannot reach the broker at ${broker}: ${outcome.reason}`);
    }
  }

  get connected(): boolean {
    return this.up;
  }

  onMessage(handler: MessageHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Told when the connection drops and comes back. */
  /** Told when the link goes down or comes back; the returned function stops telling. */
  onLinkChange(handler: (up: boolean, reason?: string) => void): () => void {
    this.linkHandlers.add(handler);
    return () => this.linkHandlers.delete(handler);
  }

  /** QoS 1 subscriptions; retained messages may arrive before this resolves (handlers must be in place). */
  async subscribe(topics: string[]): Promise<void> {
    if (topics.length === 0) return;
    const granted = await this.client.subscribeAsync(Object.fromEntries(topics.map((t) => [t, { qos: 1 as const }])));
    const refused = granted.filter((g) => g.qos === 128 || (g.qos as number) > 2);
    if (refused.length > 0)
      throw new Error(
        `the broker ${this.broker} refused the subscription to ${refused.map((g) => g.topic).join(', ')}`,
      );
  }

  /** Resolves on PUBACK for QoS 1 (queued by mqtt.js while reconnecting). */
  async publish(topic: string, payload: string, opts: OutgoingOptions): Promise<void> {
    const properties = this.protocolVersion === 5 ? opts.properties : undefined;
    await this.client.publishAsync(topic, payload, {
      qos: opts.qos,
      retain: opts.retain ?? false,
      ...(properties ? { properties } : {}),
    });
  }

  /** A clean DISCONNECT, or a cut when the broker is gone; never throws. */
  async close(): Promise<void> {
    this.handlers.clear();
    this.linkHandlers.clear();
    this.client.options.reconnectPeriod = 0;
    const clean = this.client.connected;
    await Promise.race([
      new Promise<void>((resolve) => this.client.end(!clean, {}, () => resolve())),
      new Promise<void>((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    if (!this.client.disconnected) this.client.end(true);
  }

  private setUp(up: boolean, reason?: string): void {
    if (up === this.up) return;
    this.up = up;
    for (const h of this.linkHandlers) h(up, reason);
  }
}

interface Attempt {
  client?: MqttClient;
  protocolRefused?: boolean;
  /** The broker answered and refused these credentials. */
  authRefused?: boolean;
  reason?: string;
}

const SOCKET_REASONS: Partial<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'no such host (DNS lookup failed)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
};

function attempt(url: string, options: IClientOptions): Promise<Attempt> {
  return new Promise((resolve) => {
    let failure: ReturnType<typeof connectFailure> | null = null;
    let done = false;
    const client = mqtt.connect(url, { ...options, reconnectPeriod: 0 });
    // Only this attempt's own listeners are removed: mqtt.js keeps internal ones on the same events.
    const onConnect = () => finish({ client });
    const onError = (err: Error) => {
      failure = connectFailure(err);
    };
    const onClose = () => {
      if (!failure)
        return finish({ reason: 'the broker closed the connection', protocolRefused: options.protocolVersion === 5 });
      finish({
        reason: SOCKET_REASONS[failure.key] ?? failure.text,
        protocolRefused: isProtocolRefusal(failure),
        authRefused: isAuthRefusal(failure),
      });
    };
    const finish = (outcome: Attempt) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
      if (!outcome.client) {
        client.on('error', () => {});
        client.end(true);
      }
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ reason: `no answer within ${CONNECT_WAIT_MS / 1000} s` }), CONNECT_WAIT_MS);
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}
