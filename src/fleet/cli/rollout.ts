/*
 * `deepend fleet rollout`: an upgrade for a fleet (or a group), canary first
 * then in batches, or in waves with pauses, each judged on failures and on
 * the gains the devices measured; resumable.
 */
import { numberFlag, ParsedArgs, parseArgs, UsageError } from '../../cli-kit/args';
import type { CommandIO } from '../../cli-kit/output';
import { fleetWildcard, isTopicSegment, rolloutTopic } from '../../contract/topics';
import { ago } from './format';
import { methodFlag, percentFlag, secondsFlag, toDepthFlag } from './inputs';
import {
  batchLabel,
  durationText,
  newRolloutId,
  parseDuration,
  parseWaves,
  planRollout,
  planWaves,
  RolloutParams,
  unitOf,
} from './rollout-plan';
import { RolloutProgress } from './rollout-progress';
import { RolloutRunner, RunOutcome } from './rollout-run';
import { LostDevice, RolloutRecord, RolloutStateFile } from './rollout-state';
import { summaryJson, summaryTable, totalsLine, wavesTable } from './rollout-summary';
import { readRollout, recordOfMessage, RolloutTopicWriter } from './rollout-topic';
import { FleetSession } from './session';
import { defaultStateFile, FleetTarget, resolveTarget } from './target';
import { warner } from './warn';
import { ROLLOUT_SPEC } from './specs';

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
const DEFAULT_BATCH_PCT = 25;
const DEFAULT_BATCH_TIMEOUT_S = 1800;
/** How long the last write of the rollout topic may take when the CLI ends (interrupted: the broker may be gone). */
const FINAL_WRITE_MS = 3000;

function wavesFlag(args: ParsedArgs): number[] | null {
  const raw = args.values.get('waves');
  if (raw === undefined) return null;
  const parsed = parseWaves(raw);
  if ('problem' in parsed) throw new UsageError(`--waves '${raw}': ${parsed.problem}`);
  return parsed.waves;
}

function pauseFlag(args: ParsedArgs): number {
  const raw = args.values.get('pause');
  if (raw === undefined) return 0;
  const seconds = parseDuration(raw);
  if (seconds === null) throw new UsageError(`--pause must be a duration like 30s, 10m or 1h, got '${raw}'`);
  return seconds;
}

function pointsFlag(args: ParsedArgs, name: string, min?: number): number | null {
  return numberFlag(args, name, min === undefined ? {} : { min }) ?? null;
}

function paramsFromFlags(args: ParsedArgs, fleet: string): RolloutParams {
  const group = args.values.get('group') ?? null;
  if (group !== null && !isTopicSegment(group))
    throw new UsageError(`--group '${group}' is not a group name: use letters, digits, '.', '_' or '-'`);
  const wavesPct = wavesFlag(args);
  if (wavesPct !== null && (args.values.has('canary') || args.values.has('batch')))
    throw new UsageError('--waves replaces --canary and --batch: give one or the other');
  return {
    fleet,
    group,
    toDepth: toDepthFlag(args),
    method: methodFlag(args),
    canaryPct: wavesPct === null ? percentFlag(args, 'canary') : 0,
    batchPct: wavesPct === null ? percentFlag(args, 'batch', { fallback: DEFAULT_BATCH_PCT, positive: true }) : 100,
    maxFailuresPct: percentFlag(args, 'max-failures'),
    wavesPct,
    pauseS: pauseFlag(args),
    minMedianGain: pointsFlag(args, 'min-median-gain'),
    maxLoss: pointsFlag(args, 'max-loss', 0),
    rollbackOnStop: args.switches.has('rollback-on-stop'),
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

/** Target devices: every device with a retained birth in the fleet (and the group); those whose retained state says lost or offline are named. */
async function discover(
  session: FleetSession,
  params: RolloutParams,
  signal: AbortSignal,
): Promise<{ devices: string[]; lost: LostDevice[] }> {
  await session.subscribe([fleetWildcard(params.fleet, 'birth'), fleetWildcard(params.fleet, 'state')]);
  await session.settle(signal);
  const devices = [...session.view.births.entries()]
    .filter(([, b]) => params.group === null || b.groups.includes(params.group))
    .map(([device]) => device)
    .sort();
  const lost: LostDevice[] = [];
  for (const device of devices) {
    const state = session.view.states.get(device);
    if (state?.state === 'lost' || state?.state === 'offline')
      lost.push({ device, state: state.state, since: state.ts });
  }
  return { devices, lost };
}

/** `lost when planned (sent all the same: ...): dev-c (lost 3m ago), dev-d (offline 1h ago)` */
function lostLine(lost: LostDevice[]): string {
  return `${lost.length} device${lost.length === 1 ? ' was' : 's were'} not online when planned (in the plan all the same: a retained desired document waits for them): ${lost.map((l) => `${l.device} (${l.state} ${ago(l.since)})`).join(', ')}`;
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
      if (stop.rule === 'no-success')
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
      const { devices, lost } = await discover(session, flagParams!, io.signal);
      if (io.signal.aborted) return 130;
      if (devices.length === 0)
        throw new Error(
          `no devices in fleet ${target.fleet}${flagParams!.group ? ` group ${flagParams!.group}` : ''} on ${session.conn.broker} (no retained births)`,
        );
      const waves = flagParams!.wavesPct;
      const plan = waves
        ? planWaves(devices, waves)
        : planRollout(devices, flagParams!.canaryPct, flagParams!.batchPct);
      // The plan is on disk before anything is published.
      record = state.create(newRolloutId(), flagParams!, plan, lost);
      const count = plan.batches.length;
      const units = waves ? `wave${count === 1 ? '' : 's'}` : `batch${count === 1 ? '' : 'es'}`;
      const parts = plan.batches.map((b, i) =>
        waves ? `${i + 1} (${waves[i]}%): ${b.length}` : `${batchLabel(plan, i)}: ${b.length}`,
      );
      const pause = flagParams!.pauseS > 0 ? `, ${durationText(flagParams!.pauseS)} apart` : '';
      note(
        `rollout ${record.id}: ${devices.length} device${devices.length === 1 ? '' : 's'} in ${count} ${units} (${parts.join(', ')})${pause}; state in ${state.path}`,
      );
      if (lost.length > 0) note(lostLine(lost));
    }
    const topic = new RolloutTopicWriter(session, state, record.id, warner(io));
    // The plan is on the broker before any device is sent anything.
    await topic.flush(io.signal);
    const runner = new RolloutRunner({
      session,
      state,
      rolloutId: record.id,
      batchTimeoutMs,
      progress: new RolloutProgress(io.err, io.json),
      signal: io.signal,
      topic,
    });
    const outcome = await runner.run();
    // Interrupted too: what was done is on the broker for whoever resumes it.
    await topic.flush(AbortSignal.timeout(FINAL_WRITE_MS));
    return report(runner.rollout, outcome, state.path, stateFlag, io);
  } finally {
    await session?.close();
    state.close();
  }
}
