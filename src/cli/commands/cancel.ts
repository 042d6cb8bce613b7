import { parseArgs } from '../../cli-kit/args';
import { CommandIO } from '../../cli-kit/output';
import { clientFor } from '../../daemon/control-client';
import type { JobView } from '../../daemon/status';
import { CANCEL_SPEC } from '../command-specs';

/** `deepend cancel [JOBID]`: the daemon cancels that job (default: the active one); the served model stays. */
export async function cancelCommand(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(CANCEL_SPEC, argv, 1);
  const positional = args.operands[0];
  const { job } = await clientFor({ config: args.values.get('config'), home: args.values.get('home') }).ok<{
    job: JobView;
  }>('POST', '/cancel', positional === undefined ? {} : { jobId: positional });
  if (io.json) io.out(JSON.stringify({ job }));
  else io.out(`job ${job.id} ${job.state}`);
  return job.state === 'canceled' ? 0 : 1;
}
