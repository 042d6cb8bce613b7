import { parseArgs } from '../../cli-kit/args';
import { CommandIO } from '../../cli-kit/output';
import { catchEarlySignals } from '../../daemon/early-signals';
import { START_SPEC } from '../command-specs';

/** `deepend start`: runs the daemon until SIGTERM or SIGINT; resolves with its exit code. */
export async function startCommand(argv: string[], _io: CommandIO): Promise<number> {
  const args = parseArgs(START_SPEC, argv);
  // a signal while TF.js loads must stop the start cleanly, not kill the process
  const early = catchEarlySignals();
  try {
    // loaded here so the client commands do not pay for TF.js
    const { runDaemon } = await import('../../daemon/run');
    return await runDaemon({ configFile: args.values.get('config'), early });
  } finally {
    early.release();
  }
}
