import { parseArgs, UsageError } from '../../cli-kit/args';
import { CommandIO } from '../../cli-kit/output';
import { clientFor } from '../../daemon/control-client';
import type { JobView } from '../../daemon/status';
import { ROLLBACK_SPEC } from '../command-specs';

/** `deepend rollback [VERSION]`: the daemon swaps back to VERSION (default: the committed version's parent). */
export async function rollbackCommand(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(ROLLBACK_SPEC, argv, 1);
  const positional = args.operands[0];
  let version: number | undefined;
  if (positional !== undefined) {
    const m = /^v?([1-9][0-9]*)$/.exec(positional);
    if (!m) throw new UsageError(`VERSION must be a version number like 1 or v1, got '${positional}'`);
    version = Number(m[1]);
  }
  const { job } = await clientFor({ config: args.values.get('config'), home: args.values.get('home') }).ok<{
    job: JobView;
  }>('POST', '/rollback', version === undefined ? {} : { version });
  if (io.json) io.out(JSON.stringify({ job }));
  else if (job.state === 'succeeded')
    io.out(
      `rolled back (job ${job.id})${typeof job.result?.version === 'number' ? `: v${job.result.version} serves` : ''}`,
    );
  else io.out(`rollback ${job.state} (job ${job.id})${job.reason ? `: ${job.reason}` : ''}`);
  return job.state === 'succeeded' ? 0 : 1;
}
