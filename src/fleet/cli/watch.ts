/* `deepend fleet watch`: a live view of the fleet's states and jobs. */
import { setTimeout as sleep } from 'node:timers/promises';
import { numberFlag, parseArgs } from '../../cli-kit/args';
import type { CommandIO } from '../../cli-kit/output';
import { fleetWildcard } from '../../contract/topics';
import { deviceRowTopics, deviceTable } from './devices';
import { accuracyText, clock, shortId } from './format';
import type { FleetEvent } from './inbox';
import { describeJob } from './job-progress';
import { FleetSession } from './session';
import { formatTable } from '../../cli-kit/table';
import { resolveTarget } from './target';
import { warner } from './warn';
import { WATCH_SPEC } from './specs';

/** Redraws at most 4 times a second; and every few seconds anyway, so "last seen" ages. */
const REDRAW_MS = 250;
const REFRESH_MS = 5000;

/** One line per change, for logs and pipes; null for what is not worth a line (telemetry). */
export function changeLine(e: FleetEvent, at: Date = new Date()): string | null {
  const head = `${clock(at)} ${e.kind === 'group-desired' ? `group ${e.group}` : e.device}`;
  switch (e.kind) {
    case 'state':
      return `${head} state ${e.value.state}`;
    case 'birth':
      return `${head} birth model v${e.value.model.version} depth ${e.value.model.depth} accuracy ${accuracyText(e.value.model.accuracy)} backend ${e.value.backend}`;
    case 'job':
      return `${head} job ${shortId(e.jobId)} ${describeJob(e.value)}${e.value.reason ? ` (${e.value.reason})` : ''}`;
    case 'reported':
      return `${head} reported ${e.value.rolloutId} ${e.value.status} depth ${e.value.depth}${e.value.reason ? ` (${e.value.reason})` : ''}`;
    default:
      return null;
  }
}

function screen(session: FleetSession, now: Date): string[] {
  const rows = session.view.rows();
  const lines = [
    `fleet ${session.fleet} on ${session.conn.broker}${session.conn.connected ? '' : ' (reconnecting)'}  ${clock(now)}  (Ctrl-C to quit)`,
    '',
  ];
  lines.push(...(rows.length ? deviceTable(rows, now.getTime()) : ['no devices yet']));
  const jobs = session.view.activeJobs();
  if (jobs.length > 0) {
    lines.push(
      '',
      ...formatTable(
        ['DEVICE', 'JOB', 'PROGRESS', 'ROLLOUT'],
        jobs.map(({ device, job }) => [device, shortId(job.jobId), describeJob(job), job.rolloutId ?? '-']),
      ),
    );
  }
  return lines;
}

export async function fleetWatch(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(WATCH_SPEC, argv);
  const forSeconds = numberFlag(args, 'for', { min: 0 });
  const target = resolveTarget(args);
  const session = await FleetSession.open(target, warner(io));
  const stdout = process.stdout;
  const tty = stdout.isTTY === true;
  let timer: NodeJS.Timeout | null = null;
  let lastDraw = 0;
  const draw = () => {
    timer = null;
    lastDraw = Date.now();
    stdout.write(`\x1b[H\x1b[2J${screen(session, new Date()).join('\n')}\n`);
  };
  const redraw = () => {
    if (timer) return;
    timer = setTimeout(draw, Math.max(0, lastDraw + REDRAW_MS - Date.now()));
  };
  session.onEvent((e, changed) => {
    if (!changed) return;
    if (tty) return redraw();
    const line = changeLine(e);
    if (line) io.out(line);
  });
  session.conn.onLinkChange((up) =>
    tty ? redraw() : io.out(`${clock()} broker ${up ? 'reconnected' : 'lost: reconnecting'}`),
  );
  const refresh = tty ? setInterval(redraw, REFRESH_MS) : null;
  try {
    await session.subscribe([...deviceRowTopics(target.fleet), fleetWildcard(target.fleet, 'jobs/+')]);
    if (tty) redraw();
    await sleep(forSeconds === undefined ? 2 ** 31 - 1 : forSeconds * 1000, undefined, { signal: io.signal }).catch(
      () => undefined,
    );
  } finally {
    if (refresh) clearInterval(refresh);
    if (timer) clearTimeout(timer);
    await session.close();
  }
  return 0;
}
