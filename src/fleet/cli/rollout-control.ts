/*
 * Pause, resume or abort a rollout, whichever process runs it (a console,
 * or a `deepend fleet rollout` CLI on another machine): the command goes out
 * on rollout/ID/control and the runner answers by rewriting the retained
 * rollout/ID. The console reads that topic through its FleetState, the
 * `deepend fleet control` command through retainedSource (rollout-topic.ts's RetainedRollout). No answer within
 * CONTROL_WAIT_MS means no process runs the rollout now.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { RolloutControl, RolloutMessage } from '../../contract/messages';
import { rolloutControlTopic } from '../../contract/topics';
import { encodeMessage } from '../../contract/validate';
import { DeependError } from '../../util/deepend-error';
import type { RetainedRollout } from './rollout-topic';
import type { FleetSession } from './session';

export const CONTROL_ACTIONS = ['pause', 'resume', 'abort'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

/** How long the runner of a rollout has to answer a control command. */
export const CONTROL_WAIT_MS = 5000;

/** What a control command changes in the retained rollout/ID. */
export interface RolloutControlView {
  status: RolloutMessage['status'];
  paused: { at: string; by: string } | null;
}

export interface ControlAnswer extends RolloutControlView {
  rolloutId: string;
}

/** Where the retained rollout/ID documents are read: the console's FleetState, or RetainedRollout. */
export interface RolloutSource {
  rollout(id: string): RolloutControlView | undefined;
  /** Calls the listener with each new version of a rollout's document; returns the detach. */
  onRollout(listener: (id: string, view: RolloutControlView) => void): () => void;
}

/** Has the runner done what `action` asked? */
function answered(action: ControlAction, view: RolloutControlView): boolean {
  if (action === 'abort') return view.status !== 'running';
  return (view.paused !== null) === (action === 'pause');
}

export class RolloutControls {
  /** Who sends the commands, as the rollout records them: `console on HOST` or `cli on HOST`. */
  private readonly by: string;

  constructor(
    private readonly session: FleetSession,
    private readonly source: RolloutSource,
    private readonly origin: 'console' | 'cli',
    private readonly waitMs: number = CONTROL_WAIT_MS,
  ) {
    this.by = `${origin} on ${hostname()}`;
  }

  async send(rolloutId: string, action: ControlAction): Promise<ControlAnswer> {
    const now = this.source.rollout(rolloutId);
    if (!now) throw new DeependError('not-found', `no rollout '${rolloutId}' on the broker`);
    if (now.status !== 'running') throw new DeependError('conflict', `rollout ${rolloutId} is already ${now.status}`);
    let off = () => {};
    const changed = new Promise<RolloutControlView>((resolve) => {
      off = this.source.onRollout((id, view) => {
        if (id === rolloutId && answered(action, view)) resolve(view);
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), this.waitMs);
    });
    try {
      const command: RolloutControl = {
        commandId: `${this.origin}:${randomUUID()}`,
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
      const after = await Promise.race([changed, timeout]);
      if (!after)
        throw new DeependError(
          'conflict',
          `no process answered the ${action} of rollout ${rolloutId} within ${this.waitMs / 1000} s: none runs it now (carry it on with deepend fleet rollout --resume ${rolloutId})`,
        );
      return { rolloutId, status: after.status, paused: after.paused };
    } finally {
      off();
      clearTimeout(timer);
    }
  }
}

function controlViewOf(m: RolloutMessage): RolloutControlView {
  return { status: m.status, paused: m.paused ?? null };
}

/** A RolloutSource over one rollout's retained rollout/ID (for a process without a console's FleetState). */
export function retainedSource(retained: RetainedRollout): RolloutSource {
  return {
    rollout: (id) => (retained.message?.rolloutId === id ? controlViewOf(retained.message) : undefined),
    onRollout: (listener) => retained.onChange((m) => listener(m.rolloutId, controlViewOf(m))),
  };
}
