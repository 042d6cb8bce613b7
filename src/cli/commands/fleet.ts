import { UsageError } from '../args';
import { CommandIO } from '../output';
import { DEEPEN_FLEET_USAGE, fleetDeepen } from '../../fleet/cli/deepen';
import { CONSOLE_USAGE, fleetConsole } from '../../fleet/console/command';
import { DEVICES_USAGE, fleetDevices } from '../../fleet/cli/devices';
import { fleetRollout, ROLLOUT_USAGE } from '../../fleet/cli/rollout';
import { fleetSimulate, SIMULATE_USAGE } from '../../fleet/cli/simulate';
import { fleetWatch, WATCH_USAGE } from '../../fleet/cli/watch';

const SUBCOMMANDS: Record<string, (argv: string[], io: CommandIO) => Promise<number>> = {
  devices: fleetDevices,
  deepen: fleetDeepen,
  rollout: fleetRollout,
  watch: fleetWatch,
  console: fleetConsole,
  simulate: fleetSimulate,
};

export const FLEET_USAGE = [
  'deepend fleet devices|deepen|rollout|watch|console|simulate (over MQTT; each takes [--url URL] [--fleet F] [--config F])',
  ...[DEVICES_USAGE, DEEPEN_FLEET_USAGE, ROLLOUT_USAGE, WATCH_USAGE, CONSOLE_USAGE, SIMULATE_USAGE].map(
    (u) => `      ${u}`,
  ),
].join('\n');

/** `deepend fleet SUBCOMMAND`: the fleet side, talking to devices through the MQTT broker only. */
export async function fleetCommand(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name.startsWith('--'))
    throw new UsageError('name a subcommand: devices, deepen, rollout, watch, console or simulate');
  const run = SUBCOMMANDS[name];
  if (!run) throw new UsageError(`unknown subcommand '${name}': devices, deepen, rollout, watch, console or simulate`);
  return run(rest, io);
}
