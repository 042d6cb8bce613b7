/*
 * The `deepen` command as the fleet side sends it (`deepend fleet deepen` and
 * the console), and `rollback` (a rollout's --rollback-on-stop): a fresh command id, an expiry past the reply wait, the MQTT 5
 * response topic and correlation data, validated by the contract.
 */
import { randomUUID } from 'node:crypto';
import { deviceTopics } from '../../contract/topics';
import { encodeMessage } from '../../contract/validate';
import { responseTopicFor } from './connection';
import type { FleetSession } from './session';
import type { GrowthMethodName } from '../../growth-methods';

/** How long a device has to answer the command (it answers at once, before the job runs). */
export const REPLY_WAIT_MS = 30_000;
/** The command's expiresAt: past the reply wait, so a device that gets it after we gave up does not run it; the rest is clock-skew slack. */
const EXPIRES_AFTER_MS = 60_000;

export interface DeepenOrder {
  toDepth: number;
  method: GrowthMethodName | null;
}

/** The topics to subscribe before sending a command to `device`, so that its reply and job messages are not missed. */
export function replyTopics(session: FleetSession, device: string): string[] {
  const responseTopic = responseTopicFor(session.conn.clientId);
  return [deviceTopics(session.fleet, device).reply, ...(session.conn.protocolVersion === 5 ? [responseTopic] : [])];
}

/** Publishes the command (resolves on the broker's PUBACK) and returns its command id. */
export async function publishDeepen(session: FleetSession, device: string, order: DeepenOrder): Promise<string> {
  const commandId = `cli-${randomUUID()}`;
  const payload = encodeMessage('deepen', {
    commandId,
    toDepth: order.toDepth,
    ...(order.method ? { method: order.method } : {}),
    expiresAt: new Date(Date.now() + EXPIRES_AFTER_MS).toISOString(),
  });
  await session.conn.publish(deviceTopics(session.fleet, device).command('deepen'), payload, {
    qos: 1,
    properties: { responseTopic: responseTopicFor(session.conn.clientId), correlationData: Buffer.from(commandId) },
  });
  return commandId;
}

/**
 * The rollback command (cmd/rollback) as the fleet side sends it: back to the
 * version before the committed one. The caller chooses the command id, so
 * that one sent again (a resumed rollout) is answered, not run twice.
 */
export async function publishRollback(session: FleetSession, device: string, commandId: string): Promise<void> {
  const payload = encodeMessage('rollback', {
    commandId,
    expiresAt: new Date(Date.now() + EXPIRES_AFTER_MS).toISOString(),
  });
  await session.conn.publish(deviceTopics(session.fleet, device).command('rollback'), payload, {
    qos: 1,
    properties: { responseTopic: responseTopicFor(session.conn.clientId), correlationData: Buffer.from(commandId) },
  });
}
