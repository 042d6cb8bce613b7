import { MAX_DEPTH } from '../../limits';
import { setTimeout as sleep } from 'node:timers/promises';
import { METHOD_CHOICES } from '../../growth-methods';
import { numberFlag, parseArgs, UsageError } from '../../cli-kit/args';
import { CommandIO } from '../../cli-kit/output';
import { ControlClient, clientFor } from '../../daemon/control-client';
import type { JobView } from '../../daemon/status';
import { describeProgress } from './status';
import { DeependError } from '../../util/deepend-error';
import { DEEPEN_SPEC } from '../command-specs';

const POLL_MS = 500;

function ended(job: JobView): boolean {
  return job.endedAt !== null;
}

function summary(job: JobView): string {
  const r = job.result ?? {};
  const figures =
    typeof r.accuracyAfter === 'number' && typeof r.accuracyBefore === 'number'
      ? ` (held-out ${(r.accuracyBefore * 100).toFixed(2)}% -> ${(r.accuracyAfter * 100).toFixed(2)}%)`
      : '';
  return `job ${job.id} ${job.state}${figures}${job.reason ? `: ${job.reason}` : ''}`;
}

/** Polls the job until it ends, drawing its progress on stderr: redrawn on a terminal, else a line per state, step or tenth. */
async function follow(client: ControlClient, id: string, io: CommandIO): Promise<JobView> {
  const tty = io.err.isTTY === true;
  const width = (io.err.columns ?? 120) - 1;
  let lastKey = '';
  let lastLength = 0;
  for (;;) {
    const { job } = await client.ok<{ job: JobView }>('GET', `/jobs/${encodeURIComponent(id)}`);
    const p = ended(job) ? null : job.progress;
    const line = `${job.state}${p ? ` ${describeProgress(p)}` : ''}`.slice(0, width);
    const key = `${job.state} ${p?.step ?? ''} ${p ? Math.floor(p.percent / 10) : ''}`;
    if (!io.json && tty) {
      io.err.write(`\r${line.padEnd(lastLength)}`);
      lastLength = line.length;
    } else if (!io.json && key !== lastKey) {
      io.err.write(`${line}\n`);
    }
    lastKey = key;
    if (ended(job)) {
      if (tty && !io.json) io.err.write('\n');
      return job;
    }
    if (io.signal.aborted) {
      if (tty && !io.json && lastLength > 0) io.err.write('\n');
      throw new DeependError('aborted', `stopped waiting; job ${id} goes on in the daemon (deepend jobs)`);
    }
    await sleep(POLL_MS, undefined, { signal: io.signal }).catch(() => undefined);
  }
}

/** `deepend deepen`: asks the running daemon for a manual upgrade; --wait follows it to its end. */
export async function deepenCommand(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(DEEPEN_SPEC, argv);
  const toDepth = numberFlag(args, 'to-depth', { integer: true, min: 1, max: MAX_DEPTH });
  const method = args.values.get('method');
  if (method !== undefined && !(METHOD_CHOICES as readonly string[]).includes(method))
    throw new UsageError(`--method must be one of ${METHOD_CHOICES.join(', ')}, got '${method}'`);
  const client = clientFor({ config: args.values.get('config'), home: args.values.get('home') });
  const { job } = await client.ok<{ job: JobView }>('POST', '/deepen', { toDepth, method });
  if (!args.switches.has('wait')) {
    io.out(io.json ? JSON.stringify({ job }) : `queued job ${job.id} (follow it with deepend jobs or deepend status)`);
    return 0;
  }
  if (!io.json) io.err.write(`job ${job.id} queued\n`);
  const final = await follow(client, job.id, io);
  io.out(io.json ? JSON.stringify({ job: final }) : summary(final));
  return final.state === 'succeeded' ? 0 : 1;
}
