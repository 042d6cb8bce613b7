import { CommandSpec, parseArgs } from '../args';
import { CommandIO } from '../output';
import { catchEarlySignals } from '../../daemon/early-signals';

export const START_SPEC: CommandSpec = {
  command: 'start',
  summary: 'Runs the daemon in the foreground until SIGTERM or SIGINT (daemon/deepend.service runs it under systemd).',
  flags: [
    {
      name: 'config',
      value: 'FILE',
      description: 'the config file (default: config.yaml in $DEEPEND_HOME, else ~/.deepend)',
    },
  ],
};

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
