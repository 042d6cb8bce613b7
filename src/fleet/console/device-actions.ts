/*
 * The console's commands to devices: deepen one device or a group (the same
 * validated `deepen` command `deepend fleet deepen` sends), and roll back a
 * device or a rollout's wave (the `rollback` command a rollout's
 * --rollback-on-stop sends: back to the version before the committed one).
 * One command per device, each answered by the device's reply (or a timeout).
 */
import { randomUUID } from 'node:crypto';
import type { ReplyMessage } from '../../contract/messages';
import { isTopicSegment } from '../../contract/topics';
import { responseTopicFor } from '../cli/connection';
import { type DeepenOrder, publishDeepen, publishRollback, REPLY_WAIT_MS } from '../cli/deepen-command';
import { MAX_DEPTH } from '../cli/inputs';
import type { FleetSession } from '../cli/session';
import { GROWTH_METHODS, type GrowthMethodName, isGrowthMethod } from '../../growth-methods';
import type { FleetState } from './fleet-state';

/** Unclaimed replies kept (other fleet tools' replies land here too, on cmd/reply). */
const MAX_EARLY = 1000;

export interface DeepenRequestBody {
  device?: string;
  group?: string;
  toDepth: number;
  method?: GrowthMethodName;
}

export interface RollbackRequestBody {
  device?: string;
  /** With `wave`: every device of that wave (or batch) of the rollout. */
  rollout?: string;
  wave?: string;
}

/** One device's answer to a command from the console. */
export interface DeepenResult {
  device: string;
  commandId: string | null;
  ok: boolean;
  jobId: string | null;
  error: string | null;
}

/** A problem with the request body, in the CLI's words; null when it is a valid request. */
export function deepenBodyProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  const b = body as Record<string, unknown>;
  const unknownKey = Object.keys(b).find((k) => !['device', 'group', 'toDepth', 'method'].includes(k));
  if (unknownKey !== undefined) return `${unknownKey}: unknown key (allowed: device, group, toDepth, method)`;
  if ((b.device === undefined) === (b.group === undefined)) return 'name either a device or a group';
  for (const key of ['device', 'group'] as const) {
    const v = b[key];
    if (v !== undefined && (typeof v !== 'string' || !isTopicSegment(v)))
      return `${key}: must be letters, digits, '.', '_' or '-'`;
  }
  const depth = b.toDepth;
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1 || depth > MAX_DEPTH)
    return `toDepth: must be a whole number from 1 to ${MAX_DEPTH}`;
  if (b.method !== undefined && !isGrowthMethod(b.method)) return `method: must be one of ${GROWTH_METHODS.join(', ')}`;
  return null;
}

/** A problem with a rollback request body; null when it is valid. */
export function rollbackBodyProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  const b = body as Record<string, unknown>;
  const unknownKey = Object.keys(b).find((k) => !['device', 'rollout', 'wave'].includes(k));
  if (unknownKey !== undefined) return `${unknownKey}: unknown key (allowed: device, rollout, wave)`;
  if ((b.device === undefined) === (b.rollout === undefined)) return 'name either a device or a rollout and its wave';
  if ((b.rollout === undefined) !== (b.wave === undefined)) return 'a rollout and its wave go together';
  for (const key of ['device', 'rollout', 'wave'] as const) {
    const v = b[key];
    if (v !== undefined && (typeof v !== 'string' || !isTopicSegment(v)))
      return `${key}: must be letters, digits, '.', '_' or '-'`;
  }
  return null;
}

export class DeviceActions {
  private readonly waiting = new Map<string, (reply: ReplyMessage) => void>();
  /** Replies that came before their command's PUBACK (the broker may forward the command first). */
  private readonly early = new Map<string, ReplyMessage>();

  constructor(
    private readonly session: FleetSession,
    private readonly state: FleetState,
    private readonly replyWaitMs = REPLY_WAIT_MS,
  ) {
    session.onEvent((e) => {
      if (e.kind === 'reply' && e.value.commandId !== null) this.answer(e.value);
    });
    const responseTopic = responseTopicFor(session.conn.clientId);
    session.onRaw((topic, payload) => {
      if (topic !== responseTopic) return;
      const reply = session.inbox.decodeReply(topic, payload);
      if (reply) this.answer(reply);
    });
  }

  /** The devices a valid request names; a problem when none of them is known. */
  targets(body: DeepenRequestBody): { devices: string[] } | { problem: string } {
    if (body.group !== undefined) {
      const devices = this.state.groupMembers(body.group);
      return devices.length > 0 ? { devices } : { problem: `no device of group '${body.group}' has a retained birth` };
    }
    const device = body.device!;
    return this.state.knows(device)
      ? { devices: [device] }
      : { problem: `device '${device}' is not known: no retained birth` };
  }

  /** The devices a valid rollback request names; a problem when there are none. */
  rollbackTargets(body: RollbackRequestBody): { devices: string[] } | { problem: string } {
    if (body.device !== undefined)
      return this.state.knows(body.device)
        ? { devices: [body.device] }
        : { problem: `device '${body.device}' is not known: no retained birth` };
    const rollout = this.state.rollout(body.rollout!);
    if (!rollout) return { problem: `no rollout '${body.rollout}' on the broker` };
    const wave = rollout.waves.find((w) => w.label === body.wave);
    if (!wave) return { problem: `rollout ${rollout.id} has no ${rollout.unit} '${body.wave}'` };
    if (!wave.sent) return { problem: `${rollout.unit} ${wave.label} of rollout ${rollout.id} was not sent` };
    return { devices: wave.deviceIds };
  }

  deepen(devices: string[], order: DeepenOrder): Promise<DeepenResult[]> {
    return Promise.all(devices.map((d) => this.one(d, () => publishDeepen(this.session, d, order))));
  }

  rollBack(devices: string[]): Promise<DeepenResult[]> {
    return Promise.all(
      devices.map((d) =>
        this.one(d, async () => {
          const commandId = `cli-${randomUUID()}`;
          await publishRollback(this.session, d, commandId);
          return commandId;
        }),
      ),
    );
  }

  private async one(device: string, send: () => Promise<string>): Promise<DeepenResult> {
    let commandId: string | null = null;
    try {
      commandId = await send();
      const reply = await this.replyTo(commandId);
      if (!reply)
        return { device, commandId, ok: false, jobId: null, error: `no answer within ${this.replyWaitMs / 1000} s` };
      return { device, commandId, ok: reply.ok, jobId: reply.jobId ?? null, error: reply.error ?? null };
    } catch (err) {
      return { device, commandId, ok: false, jobId: null, error: err instanceof Error ? err.message : String(err) };
    }
  }

  private replyTo(commandId: string): Promise<ReplyMessage | null> {
    const early = this.early.get(commandId);
    if (early) {
      this.early.delete(commandId);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(commandId);
        resolve(null);
      }, this.replyWaitMs);
      this.waiting.set(commandId, (reply) => {
        clearTimeout(timer);
        this.waiting.delete(commandId);
        resolve(reply);
      });
    });
  }

  private answer(reply: ReplyMessage): void {
    if (reply.commandId === null || !reply.commandId.startsWith('cli-')) return;
    const waiter = this.waiting.get(reply.commandId);
    if (waiter) {
      waiter(reply);
      return;
    }
    this.early.set(reply.commandId, reply);
    if (this.early.size > MAX_EARLY) this.early.delete(this.early.keys().next().value!);
  }
}
