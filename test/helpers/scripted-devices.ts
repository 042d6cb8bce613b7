/*
 * A SCRIPTED PEER for the fleet CLI's tests, not a daemon: real MQTT clients
 * (one connection per device, its will, QoS 1, retained messages) that speak
 * the fleet contract with valid messages (every one built by encodeMessage),
 * and follow a script instead of running jobs: each deepen command or desired
 * document becomes a job that walks queued -> running (stage1, stage2) -> its
 * scripted end in a few tens of milliseconds. It lets the CLI's parsing,
 * tables, waiting and rollout logic be tested against a real broker; what a
 * real device does is tested with real daemons (test/fleet-e2e*).
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { BirthMessage, JobMessage, JobStatus, MessageKind, MessageOfKind } from '../../src/contract/messages';
import { deviceTopics, DeviceTopics, groupDesiredTopic } from '../../src/contract/topics';
import { decodeMessage, encodeMessage } from '../../src/contract/validate';

/** How a scripted device ends a job: succeed, be rejected by its gate, fail, or never answer (a device that hangs). */
export type JobScript = 'succeed' | 'reject' | 'fail' | 'hang';

export interface ScriptedDeviceSpec {
  device: string;
  groups?: string[];
  depth?: number;
  accuracy?: number | null;
  version?: number;
  cpu?: string;
  gpu?: string;
  jetson?: string;
  backend?: string;
  job?: JobScript;
  /** Time between a job's progress messages. */
  stepMs?: number;
  /** Held-out accuracy change, in points, of a job that succeeds (default +0.4; negative: a loss its gate let through). */
  gain?: number;
  /** Answer deepen commands with this error instead of a job. */
  refuse?: string;
  /** Answer only on the MQTT 5 response topic when the command has one (proves the CLI reads it). */
  replyOnlyToResponseTopic?: boolean;
}

/** A device that starts `offline` connects once (its retained birth is there) and disconnects cleanly. */
export type ScriptedSpec = ScriptedDeviceSpec & { offline?: boolean };

const SHA = 'a'.repeat(64);

class ScriptedDevice {
  readonly topics: DeviceTopics;
  private client: MqttClient | null = null;
  private session = 0;
  private depth: number;
  private accuracy: number | null;
  private version: number;
  private readonly rollouts = new Set<string>();
  readonly commands: MessageOfKind['deepen'][] = [];
  /** cmd/rollback commands received (a repeated command id is answered again, not run twice). */
  readonly rollbacks: MessageOfKind['rollback'][] = [];
  /** What each committed upgrade replaced, for cmd/rollback. */
  private readonly history: { depth: number; accuracy: number | null; version: number }[] = [];
  private readonly rollbackAnswers = new Map<string, string>();

  constructor(
    private readonly url: string,
    private readonly fleet: string,
    readonly spec: ScriptedDeviceSpec,
    private readonly protocolVersion: 4 | 5,
  ) {
    this.topics = deviceTopics(fleet, spec.device);
    this.depth = spec.depth ?? 2;
    this.accuracy = spec.accuracy === undefined ? 0.97 : spec.accuracy;
    this.version = spec.version ?? 1;
  }

  get online(): boolean {
    return this.client !== null;
  }

  async connect(): Promise<void> {
    if (this.client) return;
    this.session++;
    const will = {
      topic: this.topics.state,
      payload: Buffer.from(encodeMessage('state', { state: 'lost', session: this.session, ts: now() })),
      qos: 1 as const,
      retain: true,
    };
    const client = await mqtt.connectAsync(this.url, {
      clientId: this.spec.device,
      protocolVersion: this.protocolVersion,
      clean: true,
      reconnectPeriod: 0,
      will,
    });
    this.client = client;
    // A device killed mid-job drops its in-flight messages: that is what a kill is.
    client.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) =>
      this.onMessage(topic, payload, packet).catch(() => {}),
    );
    client.on('error', () => {});
    const subscriptions = [
      this.topics.command('deepen'),
      this.topics.command('rollback'),
      this.topics.desired,
      ...(this.spec.groups ?? []).map((g) => groupDesiredTopic(this.fleet, g)),
    ];
    await client.subscribeAsync(Object.fromEntries(subscriptions.map((t) => [t, { qos: 1 as const }])));
    await this.publish(this.topics.state, 'state', { state: 'ready', session: this.session, ts: now() }, true);
    await this.publish(this.topics.birth, 'birth', this.birth(), true);
  }

  /** A clean stop: `offline`, then DISCONNECT; a cut when the broker is already gone. */
  async disconnect(): Promise<void> {
    const client = this.client;
    if (!client) return;
    if (!client.connected) return this.kill();
    await this.publish(this.topics.state, 'state', { state: 'offline', session: this.session, ts: now() }, true);
    this.client = null;
    await client.endAsync();
  }

  /** The connection cut without a DISCONNECT: the broker publishes the will (`lost`). */
  kill(): void {
    const client = this.client;
    this.client = null;
    client?.stream.destroy();
    client?.end(true);
  }

  async publish<K extends MessageKind>(
    topic: string,
    kind: K,
    value: MessageOfKind[K],
    retain: boolean,
  ): Promise<void> {
    await this.client?.publishAsync(topic, encodeMessage(kind, value), { qos: 1, retain });
  }

  private birth(): BirthMessage {
    const s = this.spec;
    return {
      device: s.device,
      fleet: this.fleet,
      groups: s.groups ?? [],
      session: this.session,
      daemonVersion: '0.1.0-scripted',
      hardware: {
        cpu: { model: s.cpu ?? 'Scripted CPU', cores: 4 },
        memoryBytes: 4 * 2 ** 30,
        gpus: s.gpu ? [{ vendor: 'NVIDIA', model: s.gpu, vramBytes: null }] : [],
        jetson: s.jetson ? { model: s.jetson } : null,
        unifiedMemory: false,
        arch: 'x64',
        fingerprint: '',
      },
      backend: s.backend ?? 'cpu',
      policy: { name: 'scripted', hash: '', rule: null, targetDepth: null },
      model: { name: 'default', version: this.version, depth: this.depth, accuracy: this.accuracy, sha256: SHA },
      predictUrl: null,
      ts: now(),
    };
  }

  /** The answer to cmd/rollback (on the response topic and cmd/reply): back to the version before the committed one. */
  private async onRollback(payload: Buffer, packet: IPublishPacket): Promise<void> {
    const cmd = decodeMessage('rollback', payload);
    if (!cmd.ok) return;
    this.rollbacks.push(cmd.value);
    let reply = this.rollbackAnswers.get(cmd.value.commandId);
    if (reply === undefined) {
      const previous = this.history.pop();
      if (previous === undefined) {
        reply = encodeMessage('reply', {
          commandId: cmd.value.commandId,
          command: 'rollback',
          ok: false,
          error: `model default has no v${this.version - 1} to roll back to`,
          ts: now(),
        });
      } else {
        const jobId = `job-${randomUUID().slice(0, 8)}`;
        const from = { depth: this.depth, accuracy: this.accuracy };
        this.depth = previous.depth;
        this.accuracy = previous.accuracy;
        this.version = previous.version;
        await this.publish(
          this.topics.job(jobId),
          'job',
          {
            jobId,
            commandId: cmd.value.commandId,
            kind: 'rollback',
            trigger: 'fleet',
            status: 'succeeded',
            step: 'succeeded',
            percent: 100,
            depthBefore: from.depth,
            depthAfter: this.depth,
            accuracyBefore: from.accuracy,
            accuracyAfter: this.accuracy,
            ts: now(),
          },
          true,
        );
        await this.publish(this.topics.birth, 'birth', this.birth(), true);
        reply = encodeMessage('reply', {
          commandId: cmd.value.commandId,
          command: 'rollback',
          ok: true,
          jobId,
          ts: now(),
        });
      }
      this.rollbackAnswers.set(cmd.value.commandId, reply);
    }
    const responseTopic = packet.properties?.responseTopic;
    if (responseTopic)
      await this.client?.publishAsync(responseTopic, reply, {
        qos: 1,
        properties: { correlationData: packet.properties?.correlationData },
      });
    if (!responseTopic || !this.spec.replyOnlyToResponseTopic)
      await this.client?.publishAsync(this.topics.reply, reply, { qos: 1 });
  }

  private async onMessage(topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    if (payload.length === 0) return;
    if (topic === this.topics.command('rollback')) return this.onRollback(payload, packet);
    if (topic === this.topics.command('deepen')) {
      const cmd = decodeMessage('deepen', payload);
      if (!cmd.ok) return;
      this.commands.push(cmd.value);
      const jobId = `job-${randomUUID().slice(0, 8)}`;
      const answer = this.spec.refuse ? { ok: false, error: this.spec.refuse } : { ok: true, jobId };
      const reply = encodeMessage('reply', { commandId: cmd.value.commandId, command: 'deepen', ...answer, ts: now() });
      const responseTopic = packet.properties?.responseTopic;
      if (responseTopic)
        await this.client?.publishAsync(responseTopic, reply, {
          qos: 1,
          properties: { correlationData: packet.properties?.correlationData },
        });
      if (!responseTopic || !this.spec.replyOnlyToResponseTopic)
        await this.client?.publishAsync(this.topics.reply, reply, { qos: 1 });
      if (!this.spec.refuse) await this.runJob(jobId, cmd.value.toDepth, { commandId: cmd.value.commandId });
      return;
    }
    const desired = decodeMessage('desired', payload);
    if (!desired.ok || this.rollouts.has(desired.value.rolloutId)) return;
    this.rollouts.add(desired.value.rolloutId);
    const { rolloutId, toDepth } = desired.value;
    const source = topic === this.topics.desired ? 'device' : `group:${topic.split('/')[4]}`;
    const reported = (status: 'running' | 'succeeded' | 'failed', jobId: string | null, reason?: string) =>
      this.publish(
        this.topics.reported,
        'reported',
        {
          rolloutId,
          source,
          toDepth,
          status,
          jobId,
          depth: this.depth,
          modelVersion: this.version,
          ...(reason ? { reason } : {}),
          ts: now(),
        },
        true,
      );
    if (this.depth >= toDepth) return reported('succeeded', null);
    const jobId = `job-${randomUUID().slice(0, 8)}`;
    await reported('running', jobId);
    const end = await this.runJob(jobId, toDepth, { commandId: `rollout:${rolloutId}`, rolloutId });
    if (end === 'succeeded') await reported('succeeded', jobId);
    else if (end !== null) await reported('failed', jobId, `job ${end}`);
  }

  /** The job's messages, as a device publishes them; null when the script hangs. */
  private async runJob(
    jobId: string,
    toDepth: number,
    ids: { commandId: string; rolloutId?: string },
  ): Promise<JobStatus | null> {
    const before = { depth: this.depth, accuracy: this.accuracy };
    const job = (status: JobStatus, step: string, percent: number, extra: Partial<JobMessage> = {}): JobMessage => ({
      jobId,
      ...ids,
      kind: 'upgrade',
      trigger: 'fleet',
      status,
      step,
      percent,
      depthBefore: before.depth,
      depthAfter: null,
      accuracyBefore: before.accuracy,
      accuracyAfter: null,
      ...extra,
      ts: now(),
    });
    const steps: [JobStatus, string, number][] = [
      ['queued', 'queued', 0],
      ['running', 'stage1', 30],
      ['running', 'stage2', 60],
    ];
    for (const [status, step, percent] of steps) {
      await this.publish(this.topics.job(jobId), 'job', job(status, step, percent), true);
      await delay(this.spec.stepMs ?? 20);
    }
    const script = this.spec.job ?? 'succeed';
    if (script === 'hang') return null;
    if (script === 'succeed') {
      this.history.push({ depth: this.depth, accuracy: this.accuracy, version: this.version });
      this.depth = toDepth;
      const gain = (this.spec.gain ?? 0.4) / 100;
      this.accuracy = before.accuracy === null ? null : Math.min(1, Math.max(0, before.accuracy + gain));
      this.version++;
      await this.publish(
        this.topics.job(jobId),
        'job',
        job('succeeded', 'succeeded', 100, { depthAfter: this.depth, accuracyAfter: this.accuracy }),
        true,
      );
      await this.publish(this.topics.birth, 'birth', this.birth(), true);
      return 'succeeded';
    }
    const status = script === 'reject' ? 'rejected' : 'failed';
    const reason =
      script === 'reject'
        ? 'the gate rejected the candidate: accuracy fell by 1.20 points'
        : 'growth failed: scripted failure';
    await this.publish(
      this.topics.job(jobId),
      'job',
      job(status, status, 100, {
        depthAfter: before.depth + 1,
        accuracyAfter: before.accuracy === null ? null : before.accuracy - 0.012,
        reason,
      }),
      true,
    );
    return status;
  }
}

function now(): string {
  return new Date().toISOString();
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A set of scripted devices on one broker and fleet. */
export class ScriptedFleet {
  private readonly devices = new Map<string, ScriptedDevice>();

  private constructor(
    readonly url: string,
    readonly fleet: string,
  ) {}

  /** Connects every device (each publishes retained `state` ready and `birth`); `offline` ones start disconnected but with a retained birth. */
  static async start(
    url: string,
    fleet: string,
    specs: ScriptedSpec[],
    opts: { protocolVersion?: 4 | 5 } = {},
  ): Promise<ScriptedFleet> {
    const f = new ScriptedFleet(url, fleet);
    for (const spec of specs) {
      const d = new ScriptedDevice(url, fleet, spec, opts.protocolVersion ?? 4);
      f.devices.set(spec.device, d);
      await d.connect();
      if (spec.offline) await d.disconnect();
    }
    return f;
  }

  device(id: string): ScriptedDevice {
    const d = this.devices.get(id);
    if (!d) throw new Error(`no scripted device ${id}`);
    return d;
  }

  async stop(): Promise<void> {
    for (const d of this.devices.values()) await d.disconnect().catch(() => d.kill());
  }

  /** Cuts every connection at once (test clean-up, whatever state the broker is in). */
  kill(): void {
    for (const d of this.devices.values()) d.kill();
  }
}

/** A plain client for a test's own publishing (raw or invalid payloads, clearing retained topics). */
export async function rawClient(url: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId: `test-${randomUUID().slice(0, 8)}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
}
