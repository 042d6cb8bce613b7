import { numberFlag, parseArgs } from '../../cli-kit/args';
import { CommandIO } from '../../cli-kit/output';
import { clientFor } from '../../daemon/control-client';
import type { JobView } from '../../daemon/status';
import { describeCommit, displayKind } from '../../jobs/outcome';
import { describeProgress } from './status';
import { JOBS_SPEC } from '../command-specs';
import { formatTable } from '../../cli-kit/table';

function outcome(j: JobView): string {
  if (j.progress && !j.endedAt) return describeProgress(j.progress);
  const attempt =
    typeof j.request.attempt === 'number' && j.request.attempt > 1 ? `attempt ${j.request.attempt}: ` : '';
  // a rejection's reason already holds the gate's figures; a commit's are in its result
  const committed = j.state === 'succeeded' ? describeCommit(j) : undefined;
  return attempt + (committed ?? j.reason ?? '');
}

/** `deepend jobs`: the daemon's jobs, newest first. */
export async function jobsCommand(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(JOBS_SPEC, argv);
  const limit = numberFlag(args, 'limit', { integer: true, min: 1, max: 1000 }) ?? 20;
  const { jobs } = await clientFor({ config: args.values.get('config'), home: args.values.get('home') }).ok<{
    jobs: JobView[];
  }>('GET', `/jobs?limit=${limit}`);
  if (io.json) {
    io.out(JSON.stringify({ jobs }));
    return 0;
  }
  if (jobs.length === 0) {
    io.out('no jobs yet');
    return 0;
  }
  const rows = jobs.map((j) => [j.id, displayKind(j), j.trigger, j.state, j.createdAt, outcome(j)]);
  for (const line of formatTable(['JOB', 'KIND', 'TRIGGER', 'STATE', 'CREATED', 'OUTCOME'], rows, { rule: false }))
    io.out(line);
  return 0;
}
