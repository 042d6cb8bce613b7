/*
 * `deepend fleet console [--port 8600] [--host 127.0.0.1] [--token-file F]`:
 * the fleet in a browser, live, with actions (docs/design/fleet.md, "Console").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { numberFlag, parseArgs } from '../../cli-kit/args';
import { CONSOLE_SPEC } from '../cli/specs';
import type { CommandIO } from '../../cli-kit/output';
import { resolveTarget } from '../cli/target';
import { warner } from '../cli/warn';
import { isLoopbackAddress } from './access';
import { startConsole } from './console';
import { consoleToken } from './token';

export const DEFAULT_CONSOLE_PORT = 8600;

export async function fleetConsole(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(CONSOLE_SPEC, argv);
  const port = numberFlag(args, 'port', { integer: true, min: 0, max: 65535 }) ?? DEFAULT_CONSOLE_PORT;
  const host = args.values.get('host') ?? '127.0.0.1';
  const target = resolveTarget(args);
  const { token, generated } = consoleToken({
    tokenFile: args.values.get('token-file'),
    loopback: isLoopbackAddress(host),
  });
  const running = await startConsole({ target, host, port, token, warn: warner(io) });
  io.err.write(`deepend console for fleet ${target.fleet} on ${running.session.conn.broker}: ${running.url}\n`);
  // A generated token is printed once, here; the one of --token-file never.
  if (generated) io.err.write(`token (printed once; open ${running.url}#token=${token}): ${token}\n`);
  else if (token !== null) io.err.write(`open ${running.url}#token=TOKEN with the token of --token-file\n`);
  io.err.write('Ctrl-C stops the console\n');
  try {
    await sleep(2 ** 31 - 1, undefined, { signal: io.signal }).catch(() => undefined);
  } finally {
    await running.close();
  }
  return 0;
}
