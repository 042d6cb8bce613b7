/*
 * Pause, resume or abort a rollout from the console, whichever process runs
 * it (this console, another one, or a `deepend fleet rollout` CLI on another
 * machine): the command goes out on rollout/ID/control and the runner answers
 * by rewriting the retained rollout/ID, which the console's FleetState reads.
 * No answer within CONTROL_WAIT_MS means no process runs the rollout now.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { RolloutControl } from '../../contract/messages';
import { rolloutControlTopic } from '../../contract/topics';
import { encodeMessage } from '../../contract/validate';
import { DeependError } from '../../util/deepend-error';
import type { FleetSession } from '../cli/session';
import type { FleetState } from './fleet-state';
import type { RolloutDoc } from './rollout-doc';

export const CONTROL_ACTIONS = ['pause', 'resume', 'abort'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

/** How long the runner of a rollout has to answer a control command. */
export const CONTROL_WAIT_MS = 5000;

export interface ControlAnswer {
  rolloutId: string;
  status: RolloutDoc['status'];
  paused: RolloutDoc['paused'];
}

/** Has the runner done what `action` asked? */
function answered(action: ControlAction, doc: RolloutDoc): boolean {
  if (action === 'abort') return doc.status !== 'running';
  return (doc.paused !== null) === (action === 'pause');
}

export class RolloutControls {
  private readonly by = `console on ${hostname()}`;

  constructor(
    private readonly session: FleetSession,
    private readonly state: FleetState,
    private readonly waitMs: number = CONTROL_WAIT_MS,
  ) {}

  async send(rolloutId: string, action: ControlAction): Promise<ControlAnswer> {
    const doc = this.state.rollout(rolloutId);
    if (!doc) throw new DeependError('not-found', `no rollout '${rolloutId}' on the broker`);
    if (doc.status !== 'running') throw new DeependError('conflict', `rollout ${rolloutId} is already ${doc.status}`);
    const changed = new Promise<RolloutDoc>((resolve) => {
      const off = this.state.onChange((c) => {
        if (c.kind === 'rollout' && c.rollout.id === rolloutId && answered(action, c.rollout)) {
          off();
          resolve(c.rollout);
        }
      });
      setTimeout(off, this.waitMs).unref();
    });
    const command: RolloutControl = {
      commandId: `console:${randomUUID()}`,
      rolloutId,
      action,
      by: this.by,
      ts: new Date().toISOString(),
    };
    await this.session.conn.publish(
      rolloutControlTopic(this.session.fleet, rolloutId),
      encodeMessage('rollout-control', command),
      { qos: 1, retain: false },
    );
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), this.waitMs).unref());
    const after = await Promise.race([changed, timeout]);
    if (!after)
      throw new DeependError(
        'conflict',
        `no process answered the ${action} of rollout ${rolloutId} within ${this.waitMs / 1000} s: none runs it now (carry it on with deepend fleet rollout --resume ${rolloutId})`,
      );
    return { rolloutId, status: after.status, paused: after.paused };
  }
}
