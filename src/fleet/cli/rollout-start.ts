/*
 * Starting and running a rollout, shared by `deepend fleet rollout` and the
 * console: its parameters from the command's flags (the console builds the
 * same argument list from its form), the devices it targets, its plan
 * (written to the state file before anything is published), and the run
 * (rollout/ID on the broker first, then the waves or batches).
 */
import { numberFlag, ParsedArgs, parseArgs, UsageError } from '../../cli-kit/args';
import { fleetWildcard, isTopicSegment } from '../../contract/topics';
import { DeependError } from '../../util/deepend-error';
import { ago } from './format';
import { methodFlag, percentFlag, toDepthFlag } from './inputs';
import {
  batchLabel,
  durationText,
  newRolloutId,
  parseDuration,
  parseWaves,
  planRollout,
  planWaves,
  RolloutParams,
} from './rollout-plan';
import type { RolloutProgress } from './rollout-progress';
import { RolloutRunner, RunOutcome } from './rollout-run';
import { LostDevice, RolloutRecord, RolloutStateFile } from './rollout-state';
import { RolloutTopicWriter } from './rollout-topic';
import type { FleetSession } from './session';
import { ROLLOUT_SPEC } from './specs';

const DEFAULT_BATCH_PCT = 25;
/** How long the last write of the rollout topic may take when a run ends (interrupted: the broker may be gone). */
const FINAL_WRITE_MS = 3000;

export function wavesFlag(args: ParsedArgs): number[] | null {
  const raw = args.values.get('waves');
  if (raw === undefined) return null;
  const parsed = parseWaves(raw);
  if ('problem' in parsed) throw new UsageError(`--waves '${raw}': ${parsed.problem}`);
  return parsed.waves;
}

export function pauseFlag(args: ParsedArgs): number {
  const raw = args.values.get('pause');
  if (raw === undefined) return 0;
  const seconds = parseDuration(raw);
  if (seconds === null) throw new UsageError(`--pause must be a duration like 30s, 10m or 1h, got '${raw}'`);
  return seconds;
}

export function pointsFlag(args: ParsedArgs, name: string, min?: number): number | null {
  return numberFlag(args, name, min === undefined ? {} : { min }) ?? null;
}

export function paramsFromFlags(args: ParsedArgs, fleet: string): RolloutParams {
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
    canaryPct: wavesPct === null ? canaryFlag(args) : 0,
    batchPct: wavesPct === null ? percentFlag(args, 'batch', { fallback: DEFAULT_BATCH_PCT, positive: true }) : 100,
    maxFailuresPct: percentFlag(args, 'max-failures'),
    wavesPct,
    pauseS: pauseFlag(args),
    minMedianGain: pointsFlag(args, 'min-median-gain'),
    maxLoss: pointsFlag(args, 'max-loss', 0),
    rollbackOnStop: args.switches.has('rollback-on-stop'),
  };
}

/** A rollout's parameters from the command's arguments (the plan flags only), checked as the CLI checks them. */
export function rolloutParamsOf(argv: string[], fleet: string): RolloutParams {
  return paramsFromFlags(parseArgs(ROLLOUT_SPEC, argv), fleet);
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

export interface PlannedRollout {
  record: RolloutRecord;
  /** What to tell the operator: the plan, and the devices that were not online. */
  lines: string[];
}

/** Finds the target devices, plans the waves or batches and writes the plan to the state file; null when interrupted. */
export async function planNewRollout(
  session: FleetSession,
  state: RolloutStateFile,
  params: RolloutParams,
  signal: AbortSignal,
): Promise<PlannedRollout | null> {
  const { devices, lost } = await discover(session, params, signal);
  if (signal.aborted) return null;
  if (devices.length === 0)
    throw new DeependError(
      'not-found',
      `no devices in fleet ${params.fleet}${params.group ? ` group ${params.group}` : ''} on ${session.conn.broker} (no retained births)`,
    );
  const waves = params.wavesPct;
  const plan = waves ? planWaves(devices, waves) : planRollout(devices, params.canaryPct, params.batchPct);
  // The plan is on disk before anything is published.
  const record = state.create(newRolloutId(), params, plan, lost);
  const count = plan.batches.length;
  const units = waves ? `wave${count === 1 ? '' : 's'}` : `batch${count === 1 ? '' : 'es'}`;
  const parts = plan.batches.map((b, i) =>
    waves ? `${i + 1} (${waves[i]}%): ${b.length}` : `${batchLabel(plan, i)}: ${b.length}`,
  );
  const pause = params.pauseS > 0 ? `, ${durationText(params.pauseS)} apart` : '';
  const lines = [
    `rollout ${record.id}: ${devices.length} device${devices.length === 1 ? '' : 's'} in ${count} ${units} (${parts.join(', ')})${pause}; state in ${state.path}`,
  ];
  if (lost.length > 0) lines.push(lostLine(lost));
  return { record, lines };
}

export interface RunSettings {
  batchTimeoutMs: number;
  progress: RolloutProgress;
  signal: AbortSignal;
  warn: (line: string) => void;
}

/** Runs (or resumes) a planned rollout: its plan on the broker first, then the waves; what was done is on the broker at the end, interrupted too. */
export async function runRollout(
  session: FleetSession,
  state: RolloutStateFile,
  rolloutId: string,
  settings: RunSettings,
): Promise<{ outcome: RunOutcome; rollout: RolloutRecord }> {
  const topic = new RolloutTopicWriter(session, state, rolloutId, settings.warn);
  // The plan is on the broker before any device is sent anything.
  await topic.flush(settings.signal);
  const runner = new RolloutRunner({
    session,
    state,
    rolloutId,
    batchTimeoutMs: settings.batchTimeoutMs,
    progress: settings.progress,
    signal: settings.signal,
    topic,
  });
  const outcome = await runner.run();
  await topic.flush(AbortSignal.timeout(FINAL_WRITE_MS));
  return { outcome, rollout: runner.rollout };
}

/** --canary, which --waves stands in for. */
function canaryFlag(args: ParsedArgs): number {
  if (!args.values.has('canary')) throw new UsageError('--canary PCT or --waves PCTS is required');
  return percentFlag(args, 'canary');
}
