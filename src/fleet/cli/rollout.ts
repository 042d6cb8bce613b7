/* `deepend fleet rollout`: an upgrade for a fleet (or a group), canary first, then in batches; resumable. */
import { ParsedArgs, parseArgs, UsageError } from '../../cli-kit/args';
import type { CommandIO } from '../../cli-kit/output';
import { fleetWildcard, isTopicSegment } from '../../contract/topics';
import { methodFlag, percentFlag, secondsFlag, toDepthFlag } from './inputs';
import { batchLabel, newRolloutId, planRollout, RolloutParams } from './rollout-plan';
import { RolloutProgress } from './rollout-progress';
import { RolloutRunner, RunOutcome } from './rollout-run';
import { RolloutRecord, RolloutStateFile } from './rollout-state';
import { summaryJson, summaryTable, totalsLine } from './rollout-summary';
import { FleetSession } from './session';
import { defaultStateFile, FleetTarget, resolveTarget } from './target';
import { warner } from './warn';
import { ROLLOUT_SPEC } from './specs';

const PLAN_FLAGS = ['to-depth', 'method', 'group', 'canary', 'max-failures', 'batch'] as const;
const DEFAULT_BATCH_PCT = 25;
const DEFAULT_BATCH_TIMEOUT_S = 1800;

function paramsFromFlags(args: ParsedArgs, fleet: string): RolloutParams {
  const group = args.values.get('group') ?? null;
  if (group !== null && !isTopicSegment(group))
    throw new UsageError(`--group '${group}' is not a group name: use letters, digits, '.', '_' or '-'`);
  return {
    fleet,
    group,
    toDepth: toDepthFlag(args),
    method: methodFlag(args),
    canaryPct: percentFlag(args, 'canary'),
    batchPct: percentFlag(args, 'batch', { fallback: DEFAULT_BATCH_PCT, positive: true }),
    maxFailuresPct: percentFlag(args, 'max-failures'),
  };
}

/** With --resume, plan flags may be repeated but must match what the rollout was started with. */
function checkResumeFlags(args: ParsedArgs, target: FleetTarget, saved: RolloutParams): void {
  if (args.values.has('fleet') && target.fleet !== saved.fleet)
    throw new UsageError(`--fleet ${target.fleet} is not rollout's fleet ${saved.fleet}`);
  const given: Partial<Record<(typeof PLAN_FLAGS)[number], unknown>> = {
    'to-depth': args.values.has('to-depth') ? toDepthFlag(args) : undefined,
    method: methodFlag(args) ?? undefined,
    group: args.values.get('group'),
    canary: args.values.has('canary') ? percentFlag(args, 'canary') : undefined,
    'max-failures': args.values.has('max-failures') ? percentFlag(args, 'max-failures') : undefined,
    batch: args.values.has('batch') ? percentFlag(args, 'batch', { positive: true }) : undefined,
  };
  const savedOf: Record<(typeof PLAN_FLAGS)[number], unknown> = {
    'to-depth': saved.toDepth,
    method: saved.method,
    group: saved.group,
    canary: saved.canaryPct,
    'max-failures': saved.maxFailuresPct,
    batch: saved.batchPct,
  };
  for (const flag of PLAN_FLAGS) {
    if (given[flag] !== undefined && given[flag] !== savedOf[flag])
      throw new UsageError(
        `--${flag} ${String(given[flag])} differs from the rollout's ${String(savedOf[flag] ?? 'none')}: a resumed rollout keeps its parameters`,
      );
  }
}

/** Target devices: every device with a retained birth in the fleet (and the group). */
async function discover(session: FleetSession, params: RolloutParams, signal: AbortSignal): Promise<string[]> {
  await session.subscribe([fleetWildcard(params.fleet, 'birth')]);
  await session.settle(signal);
  return [...session.view.births.entries()]
    .filter(([, b]) => params.group === null || b.groups.includes(params.group))
    .map(([device]) => device);
}

/** The command's exit status for how the rollout ended: 130 when interrupted, as for SIGINT. */
const EXIT_CODE_OF: Record<RunOutcome, number> = { completed: 0, stopped: 1, interrupted: 130 };

function report(
  record: RolloutRecord,
  outcome: RunOutcome,
  stateFile: string,
  stateFlag: boolean,
  io: CommandIO,
): number {
  const code = EXIT_CODE_OF[outcome];
  if (io.json) {
    io.out(JSON.stringify({ ...summaryJson(record, stateFile), outcome }));
  } else {
    for (const line of summaryTable(record)) io.out(line);
    io.out(totalsLine(record));
    if (outcome === 'stopped') {
      const failed = record.devices.filter((d) => d.status === 'failed').length;
      io.out(
        failed > 0
          ? `failures passed the threshold of ${record.params.maxFailuresPct}%: nothing more was sent`
          : 'no canary device succeeded within --batch-timeout: nothing more was sent (resume once the canary has converged)',
      );
    }
  }
  if (outcome === 'interrupted')
    io.err.write(
      `deepend fleet: rollout ${record.id} interrupted; resume it with deepend fleet rollout --resume ${record.id}${stateFlag ? ` --state ${stateFile}` : ''}\n`,
    );
  return code;
}

export async function fleetRollout(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(ROLLOUT_SPEC, argv);
  const resumeId = args.values.get('resume');
  const target = resolveTarget(args);
  const batchTimeoutMs = secondsFlag(args, 'batch-timeout', DEFAULT_BATCH_TIMEOUT_S) * 1000;
  // Checked before the state file is opened or the broker is reached: bad input is exit 2 and touches nothing.
  const flagParams = resumeId === undefined ? paramsFromFlags(args, target.fleet) : null;
  const stateFile = args.values.get('state') ?? defaultStateFile(target);
  const state = RolloutStateFile.open(stateFile);
  const stateFlag = args.values.has('state');
  const note = (text: string): void => {
    if (!io.json) io.err.write(`${text}\n`);
  };
  try {
    let record: RolloutRecord | null;
    if (resumeId !== undefined) {
      record = state.get(resumeId);
      if (!record) throw new Error(`no rollout ${resumeId} in ${state.path}`);
      checkResumeFlags(args, target, record.params);
      target.fleet = record.params.fleet;
      if (record.status !== 'running') {
        note(`rollout ${record.id} is already ${record.status}`);
        return report(record, record.status, state.path, stateFlag, io);
      }
      note(
        record.currentBatch < record.batchCount
          ? `resuming rollout ${record.id} at batch ${batchLabel(record, record.currentBatch)}`
          : `resuming rollout ${record.id} after its last batch`,
      );
    } else {
      record = state.findUnfinished(flagParams!);
      if (record)
        note(`resuming the unfinished rollout ${record.id} (started ${record.createdAt}) with the same parameters`);
    }
    const session = await FleetSession.open(target, warner(io));
    try {
      if (!record) {
        const devices = await discover(session, flagParams!, io.signal);
        if (io.signal.aborted) return 130;
        if (devices.length === 0)
          throw new Error(
            `no devices in fleet ${target.fleet}${flagParams!.group ? ` group ${flagParams!.group}` : ''} on ${session.conn.broker} (no retained births)`,
          );
        const plan = planRollout(devices, flagParams!.canaryPct, flagParams!.batchPct);
        // The plan is on disk before anything is published.
        record = state.create(newRolloutId(), flagParams!, plan);
        note(
          `rollout ${record.id}: ${devices.length} device${devices.length === 1 ? '' : 's'} in ${plan.batches.length} batch${plan.batches.length === 1 ? '' : 'es'} (${plan.batches.map((b, i) => `${batchLabel(plan, i)}: ${b.length}`).join(', ')}); state in ${state.path}`,
        );
      }
      const runner = new RolloutRunner({
        session,
        state,
        rolloutId: record.id,
        batchTimeoutMs,
        progress: new RolloutProgress(io.err, io.json),
        signal: io.signal,
      });
      const outcome = await runner.run();
      return report(runner.rollout, outcome, state.path, stateFlag, io);
    } finally {
      await session.close();
    }
  } finally {
    state.close();
  }
}
