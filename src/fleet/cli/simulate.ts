/*
 * `deepend fleet simulate --devices N`: simulated devices on the broker, to
 * try the console and the fleet commands without devices. Each is the real
 * fleet agent over its own SQLite store (in a temp directory, removed at the
 * end); growth takes --grow-seconds and the gate rejects the candidates of
 * the --fail-rate share of them. Runs until Ctrl-C (or --for SEC).
 */
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { numberFlag, parseArgs, UsageError } from '../../cli-kit/args';
import { SIMULATE_SPEC } from './specs';
import type { CommandIO } from '../../cli-kit/output';
import { createLogger } from '../../util/log';
import { isTopicSegment } from '../../contract/topics';
import { describeBroker } from '../../mqtt/client-options';
import { failingIndexes, simulatedDeviceId, startSimulation } from '../sim/simulation';
import { resolveTarget } from './target';

const MAX_DEVICES = 1000;

export async function fleetSimulate(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(SIMULATE_SPEC, argv);
  const count = numberFlag(args, 'devices', { integer: true, min: 1, max: MAX_DEVICES })!;
  const first = numberFlag(args, 'first', { integer: true, min: 0 }) ?? 0;
  const failRate = numberFlag(args, 'fail-rate', { min: 0, max: 1 }) ?? 0;
  const growSeconds = numberFlag(args, 'grow-seconds', { min: 0.1, max: 3600 }) ?? 20;
  const forSeconds = numberFlag(args, 'for', { min: 0 });
  const group = args.values.get('group') ?? 'sim';
  const prefix = args.values.get('prefix') ?? 'sim';
  if (!isTopicSegment(group))
    throw new UsageError(`--group '${group}' is not a group name: use letters, digits, '.', '_' or '-'`);
  if (!isTopicSegment(simulatedDeviceId(prefix, first + count - 1)))
    throw new UsageError(`--prefix '${prefix}' does not make device ids: use letters, digits, '.', '_' or '-'`);
  const target = resolveTarget(args);
  const failing = failingIndexes(first, count, failRate);
  const simulation = await startSimulation({
    url: target.url,
    fleet: target.fleet,
    group,
    count,
    first,
    prefix,
    growSeconds,
    telemetrySeconds: 5,
    failing,
    mqtt: target.mqtt,
    log: createLogger({ level: 'warn', stream: process.stderr }),
  });
  const ids = simulation.devices.map((_, k) => simulatedDeviceId(prefix, first + k));
  const failingIds = [...failing].map((i) => simulatedDeviceId(prefix, i));
  io.err.write(
    `${ids.length} simulated devices (${ids[0]} .. ${ids.at(-1)}) in fleet ${target.fleet}, group ${group}, on ${describeBroker(target.url)}; ` +
      `growth takes ${growSeconds} s; ${failingIds.length ? `the gate rejects ${failingIds.join(', ')}` : 'every candidate passes the gate'}. Ctrl-C stops them.\n`,
  );
  try {
    await sleep(forSeconds === undefined ? 2 ** 31 - 1 : forSeconds * 1000, undefined, { signal: io.signal }).catch(
      () => undefined,
    );
  } finally {
    await simulation.stop();
    rmSync(simulation.root, { recursive: true, force: true });
  }
  io.err.write(`stopped ${ids.length} simulated devices (state offline)\n`);
  return 0;
}
