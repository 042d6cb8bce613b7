import mqtt, { type MqttClient } from 'mqtt';
import { parseTopic, type ParsedTopic } from '../../src/contract/topics';
import { decodeMessage, messageKindOfTopic } from '../../src/contract/validate';

export interface Seen {
  topic: string;
  parsed: ParsedTopic | null;
  /** The decoded payload; null when it was empty or broke the contract (then `problem` says why). */
  body: Record<string, unknown> | null;
  problem?: string;
  raw: Buffer;
  /** MQTT 5 correlation data, when the message carried it. */
  correlationData?: Buffer;
  /** MQTT 5 content type, when the message carried it. */
  contentType?: string;
  retain: boolean;
  at: number;
  /** Arrival order: 0 for the first message this observer saw. Two messages can arrive in one millisecond, so order is judged by this, not by `at`. */
  seq: number;
}

/**
 * A fleet-side MQTT client for tests: records every message under
 * deepend/# (validated against the contract) and publishes commands.
 */
export class FleetObserver {
  readonly seen: Seen[] = [];
  private waiters: { match: (m: Seen) => boolean; resolve: (m: Seen) => void }[] = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const parsed = parseTopic(topic);
      const kind = parsed && messageKindOfTopic(parsed);
      let body: Record<string, unknown> | null = null;
      let problem: string | undefined;
      if (kind && payload.length > 0) {
        const decoded = decodeMessage(kind, payload);
        if (decoded.ok) body = decoded.value as unknown as Record<string, unknown>;
        else problem = decoded.problem;
      }
      const m: Seen = {
        topic,
        parsed,
        body,
        problem,
        raw: payload,
        correlationData: packet.properties?.correlationData,
        contentType: packet.properties?.contentType,
        retain: packet.retain,
        at: Date.now(),
        seq: this.seen.length,
      };
      this.seen.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(m)) return true;
        w.resolve(m);
        return false;
      });
    });
  }

  static async connect(url: string, opts: { protocolVersion?: 4 | 5; topics?: string[] } = {}): Promise<FleetObserver> {
    const client = mqtt.connect(url, {
      protocolVersion: opts.protocolVersion ?? 4,
      reconnectPeriod: 100,
      clientId: `observer-${Math.random().toString(16).slice(2)}`,
    });
    const observer = new FleetObserver(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(opts.topics ?? ['deepend/#'], { qos: 1 });
    return observer;
  }

  /** The first message, seen so far or later, that matches. */
  waitFor(match: (m: Seen) => boolean, timeoutMs = 180_000, what = 'a matching message'): Promise<Seen> {
    const earlier = this.seen.find(match);
    if (earlier) return Promise.resolve(earlier);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no ${what} after ${timeoutMs} ms; seen: ${this.seen
                .map((m) => `${m.topic} ${JSON.stringify(m.body)?.slice(0, 120)}`)
                .slice(-15)
                .join(' | ')}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  on(topic: string): Seen[] {
    return this.seen.filter((m) => m.topic === topic);
  }

  async publish(
    topic: string,
    payload: string | Buffer | object,
    opts: { retain?: boolean; properties?: Record<string, unknown> } = {},
  ): Promise<void> {
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    await this.client.publishAsync(topic, body, { qos: 1, retain: opts.retain ?? false, properties: opts.properties });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
