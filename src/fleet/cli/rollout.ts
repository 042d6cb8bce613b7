/*
 * `deepend fleet rollout`: an upgrade for a fleet (or a group), canary first
 * then in batches, or in waves with pauses, each judged on failures and on
 * the gains the devices measured; resumable.
 */
import { ParsedArgs, parseArgs, UsageError } from '../../cli-kit/args';
import type { CommandIO } from '../../cli-kit/output';
import { isTopicSegment, rolloutTopic } from '../../contract/topics';
import { methodFlag, percentFlag, secondsFlag, toDepthFlag } from './inputs';
import { batchLabel, RolloutParams, unitOf } from './rollout-plan';
import { RolloutProgress } from './rollout-progress';
import { RunOutcome } from './rollout-run';
import { RolloutRecord, RolloutStateFile } from './rollout-state';
import { summaryJson, summaryTable, totalsLine, wavesTable } from './rollout-summary';
import { readRollout, recordOfMessage } from './rollout-topic';
import { FleetSession } from './session';
import { defaultStateFile, FleetTarget, resolveTarget } from './target';
import { warner } from './warn';
import { ROLLOUT_SPEC } from './specs';
import { paramsFromFlags, pauseFlag, planNewRollout, pointsFlag, runRollout, wavesFlag } from './rollout-start';

const PLAN_FLAGS = [
  'to-depth',
  'method',
  'group',
  'canary',
  'max-failures',
  'batch',
  'waves',
  'pause',
  'min-median-gain',
  'max-loss',
  'rollback-on-stop',
] as const;
const DEFAULT_BATCH_TIMEOUT_S = 1800;

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
    waves: args.values.has('waves') ? wavesFlag(args)?.join(',') : undefined,
    pause: args.values.has('pause') ? pauseFlag(args) : undefined,
    'min-median-gain': pointsFlag(args, 'min-median-gain') ?? undefined,
    'max-loss': pointsFlag(args, 'max-loss', 0) ?? undefined,
    'rollback-on-stop': args.switches.has('rollback-on-stop') ? true : undefined,
  };
  const savedOf: Record<(typeof PLAN_FLAGS)[number], unknown> = {
    'to-depth': saved.toDepth,
    method: saved.method,
    group: saved.group,
    canary: saved.canaryPct,
    'max-failures': saved.maxFailuresPct,
    batch: saved.batchPct,
    waves: saved.wavesPct?.join(','),
    pause: saved.pauseS,
    'min-median-gain': saved.minMedianGain,
    'max-loss': saved.maxLoss,
    'rollback-on-stop': saved.rollbackOnStop,
  };
  for (const flag of PLAN_FLAGS) {
    if (given[flag] !== undefined && given[flag] !== savedOf[flag])
      throw new UsageError(
        `--${flag} ${String(given[flag])} differs from the rollout's ${String(savedOf[flag] ?? 'none')}: a resumed rollout keeps its parameters`,
      );
  }
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
    const stop = record.stop;
    if (outcome === 'stopped' && stop) {
      const unit = unitOf(record.params);
      if (stop.rule === 'aborted') {
        const label = `${unit} ${batchLabel(record, stop.batch)}`;
        const sent = record.devices.some((d) => d.batch === stop.batch && d.status !== 'planned');
        io.out(
          sent
            ? `aborted in ${label}, which was already sent (its devices carry their upgrade out): nothing more was sent`
            : `aborted before ${label}: nothing more was sent`,
        );
      } else if (stop.rule === 'no-success')
        io.out(
          unit === 'batch'
            ? 'no canary device succeeded within --batch-timeout: nothing more was sent (resume once the canary has converged)'
            : `${stop.why}: nothing more was sent (resume once it has converged)`,
        );
      else if (unit === 'batch' && stop.rule === 'max-failures')
        io.out(`failures passed the threshold of ${record.params.maxFailuresPct}%: nothing more was sent`);
      else
        io.out(
          `${unit} ${batchLabel(record, stop.batch)} failed the rule --${stop.rule}: ${stop.why}; nothing more was sent`,
        );
      const rolled = record.devices.filter((d) => d.batch === stop.batch && d.rollback !== null);
      if (rolled.length > 0) {
        const done = rolled.filter((d) => d.rollback === 'done');
        io.out(
          `rolled back ${done.length} of ${rolled.length} device${rolled.length === 1 ? '' : 's'} of ${unit} ${batchLabel(record, stop.batch)}${
            done.length < rolled.length
              ? `: ${rolled
                  .filter((d) => d.rollback !== 'done')
                  .map((d) => `${d.device} ${d.rollback}`)
                  .join(', ')}`
              : ''
          }`,
        );
      }
    } else if (outcome === 'stopped') {
      const failed = record.devices.filter((d) => d.status === 'failed').length;
      io.out(
        failed > 0
          ? `failures passed the threshold of ${record.params.maxFailuresPct}%: nothing more was sent`
          : 'no canary device succeeded within --batch-timeout: nothing more was sent (resume once the canary has converged)',
      );
    }
    const waves = wavesTable(record);
    if (waves.length > 0) {
      io.out('');
      for (const line of waves) io.out(line);
    }
  }
  if (outcome === 'interrupted')
    io.err.write(
      `deepend fleet: rollout ${record.id} interrupted; resume it with deepend fleet rollout --resume ${record.id}${stateFlag ? ` --state ${stateFile}` : ''}\n`,
    );
  return code;
}

/** The retained rollout/ID topic, read when the rollout is not in this state file (another CLI, another home): adopted into it. */
async function adoptFromBroker(
  session: FleetSession,
  state: RolloutStateFile,
  rolloutId: string,
  io: CommandIO,
): Promise<RolloutRecord> {
  const topic = isTopicSegment(rolloutId) ? rolloutTopic(session.fleet, rolloutId) : null;
  const message = topic ? await readRollout(session, session.fleet, rolloutId, io.signal, warner(io)) : null;
  if (!message)
    throw new Error(
      `no rollout ${rolloutId} in ${state.path}, nor on ${session.conn.broker}${topic ? ` (no retained ${topic})` : ''}`,
    );
  return state.adopt(recordOfMessage(message));
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
  let session: FleetSession | null = null;
  try {
    let record: RolloutRecord | null;
    if (resumeId !== undefined) {
      record = state.get(resumeId);
      if (!record) {
        session = await FleetSession.open(target, warner(io));
        record = await adoptFromBroker(session, state, resumeId, io);
        note(
          `read rollout ${record.id} (${record.status}) from ${rolloutTopic(record.params.fleet, record.id)}; its state is now in ${state.path} too`,
        );
      }
      checkResumeFlags(args, target, record.params);
      target.fleet = record.params.fleet;
      if (record.status !== 'running') {
        note(`rollout ${record.id} is already ${record.status}`);
        return report(record, record.status, state.path, stateFlag, io);
      }
      note(
        record.currentBatch < record.batchCount
          ? `resuming rollout ${record.id} at ${unitOf(record.params)} ${batchLabel(record, record.currentBatch)}`
          : `resuming rollout ${record.id} after its last ${unitOf(record.params)}`,
      );
    } else {
      record = state.findUnfinished(flagParams!);
      if (record)
        note(`resuming the unfinished rollout ${record.id} (started ${record.createdAt}) with the same parameters`);
    }
    session ??= await FleetSession.open(target, warner(io));
    if (!record) {
      const planned = await planNewRollout(session, state, flagParams!, io.signal);
      if (!planned) return 130;
      record = planned.record;
      for (const line of planned.lines) note(line);
      // a script asked for JSON learns the id at once (to pause or follow it), not only in the summary at the end
      if (io.json) io.err.write(`${JSON.stringify({ rolloutId: record.id, stateFile: state.path })}\n`);
    }
    const { outcome, rollout } = await runRollout(session, state, record!.id, {
      batchTimeoutMs,
      progress: new RolloutProgress(io.err, io.json),
      signal: io.signal,
      warn: warner(io),
    });
    return report(rollout, outcome, state.path, stateFlag, io);
  } finally {
    await session?.close();
    state.close();
  }
}
