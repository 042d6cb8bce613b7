/*
 * Starting a rollout from the console: the form's fields become the
 * arguments of `deepend fleet rollout` and go through the same checks, the
 * same planning and the same runner (../cli/rollout-start.ts), in the
 * console's process, with its state file in the console's home. The page
 * follows it through rollout/ID like any other rollout. When the console
 * stops, its rollouts are interrupted, not stopped: `deepend fleet rollout
 * --resume ROLLOUTID` carries one on, from any home. Pause, resume and abort
 * go through rollout/ID/control (./rollout-control.ts), as for a CLI's.
 */
import { UsageError } from '../../cli-kit/args';
import { firstLine } from '../../util/deepend-error';
import { RolloutProgress } from '../cli/rollout-progress';
import { planNewRollout, rolloutParamsOf, runRollout } from '../cli/rollout-start';
import type { RolloutStateFile } from '../cli/rollout-state';
import type { FleetSession } from '../cli/session';

/** The CLI's default: how long a wave's devices get to answer. */
const BATCH_TIMEOUT_MS = 1800 * 1000;

/** The form's fields and the flag each one is. */
const FIELDS = {
  toDepth: 'to-depth',
  group: 'group',
  method: 'method',
  waves: 'waves',
  maxFailures: 'max-failures',
  minMedianGain: 'min-median-gain',
  maxLoss: 'max-loss',
  pause: 'pause',
  rollbackOnStop: 'rollback-on-stop',
} as const;

export interface StartedRollout {
  rolloutId: string;
  lines: string[];
}

/** The rollout command's arguments for a request body; a UsageError (400) names a bad field. */
export function rolloutArgv(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new UsageError('the body must be a JSON object');
  const argv: string[] = [];
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const flag = FIELDS[key as keyof typeof FIELDS];
    if (!flag) throw new UsageError(`${key}: unknown key (allowed: ${Object.keys(FIELDS).join(', ')})`);
    if (value === null || value === undefined || value === '' || value === false) continue;
    if (key === 'rollbackOnStop') {
      if (value !== true) throw new UsageError('rollbackOnStop: must be true or false');
      argv.push(`--${flag}`);
    } else if (typeof value === 'string' || typeof value === 'number') argv.push(`--${flag}=${String(value)}`);
    else throw new UsageError(`${key}: must be a string or a number`);
  }
  if (!argv.some((a) => a.startsWith('--waves=')))
    throw new UsageError('waves: give the waves, e.g. 10,50,100 (the console starts wave rollouts)');
  return argv;
}

export class RolloutAction {
  private readonly running = new Map<string, { stop: AbortController; done: Promise<void> }>();

  constructor(
    private readonly session: FleetSession,
    private readonly state: RolloutStateFile,
    private readonly warn: (line: string) => void,
  ) {}

  /** Plans the rollout (the plan is on disk and on the broker when this returns) and runs it in the background. */
  async start(body: unknown): Promise<StartedRollout> {
    const params = rolloutParamsOf(rolloutArgv(body), this.session.fleet);
    const stop = new AbortController();
    const planned = await planNewRollout(this.session, this.state, params, stop.signal);
    if (!planned) throw new Error('the console is stopping');
    const id = planned.record.id;
    for (const line of planned.lines) this.warn(line);
    const done = runRollout(this.session, this.state, id, {
      batchTimeoutMs: BATCH_TIMEOUT_MS,
      progress: new RolloutProgress(process.stderr, true),
      signal: stop.signal,
      warn: this.warn,
    })
      .then(({ outcome }) => this.warn(`rollout ${id} ${outcome}`))
      .catch((err: unknown) => this.warn(`rollout ${id} failed: ${firstLine(err)}`))
      .finally(() => this.running.delete(id));
    this.running.set(id, { stop, done });
    return { rolloutId: id, lines: planned.lines };
  }

  /** Interrupts the rollouts this console runs (each stays resumable) and waits for their last write. */
  async close(): Promise<void> {
    const runs = [...this.running.values()];
    for (const r of runs) r.stop.abort();
    await Promise.all(runs.map((r) => r.done));
  }
}
