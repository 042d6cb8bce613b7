/*
 * `deepend fleet control ROLLOUTID pause|resume|abort`: holds a running
 * rollout before its next wave, lets it go on, or stops it, whichever
 * console or CLI runs it; waits for the runner's answer on rollout/ID.
 */
import { parseArgs, UsageError } from '../../cli-kit/args';
import type { CommandIO } from '../../cli-kit/output';
import { isTopicSegment } from '../../contract/topics';
import {
  CONTROL_ACTIONS,
  type ControlAction,
  type ControlAnswer,
  RolloutControls,
  retainedSource,
} from './rollout-control';
import { RetainedRollout } from './rollout-topic';
import { FleetSession } from './session';
import { CONTROL_SPEC } from './specs';
import { resolveTarget } from './target';
import { warner } from './warn';

const USAGE = 'deepend fleet control ROLLOUTID pause|resume|abort';

function answerLine(a: ControlAnswer, action: ControlAction): string {
  if (action === 'abort') return `rollout ${a.rolloutId} aborted: ${a.status}, nothing more is sent`;
  if (a.paused) return `rollout ${a.rolloutId} paused by ${a.paused.by} since ${a.paused.at}: no further wave is sent`;
  return `rollout ${a.rolloutId} resumed: ${a.status}`;
}

export async function fleetControl(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(CONTROL_SPEC, argv, 2);
  const [rolloutId, action] = args.operands;
  if (rolloutId === undefined || action === undefined)
    throw new UsageError(`name the rollout and the action: ${USAGE}`);
  if (!isTopicSegment(rolloutId)) throw new UsageError(`'${rolloutId}' is not a rollout id`);
  if (!(CONTROL_ACTIONS as readonly string[]).includes(action))
    throw new UsageError(`unknown action '${action}': ${CONTROL_ACTIONS.join(', ')}`);
  const session = await FleetSession.open(resolveTarget(args), warner(io));
  try {
    const retained = await RetainedRollout.follow(session, session.fleet, rolloutId, io.signal, warner(io));
    const answer = await new RolloutControls(session, retainedSource(retained), 'cli').send(
      rolloutId,
      action as ControlAction,
    );
    io.out(io.json ? JSON.stringify(answer) : answerLine(answer, action as ControlAction));
    return 0;
  } finally {
    await session.close();
  }
}
