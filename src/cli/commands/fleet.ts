import { subcommandSpec, UsageError } from '../args';
import { CommandIO } from '../output';
import { fleetDeepen } from '../../fleet/cli/deepen';
import { fleetDevices } from '../../fleet/cli/devices';
import { fleetRollout } from '../../fleet/cli/rollout';
import { fleetSimulate } from '../../fleet/cli/simulate';
import { fleetWatch } from '../../fleet/cli/watch';
import { fleetConsole } from '../../fleet/console/command';
import { FLEET_GROUP } from '../command-specs';

const SUBCOMMANDS: Record<string, (argv: string[], io: CommandIO) => Promise<number>> = {
  devices: fleetDevices,
  deepen: fleetDeepen,
  rollout: fleetRollout,
  watch: fleetWatch,
  console: fleetConsole,
  simulate: fleetSimulate,
};

const NAMES = 'devices, deepen, rollout, watch, console or simulate';

/** `deepend fleet SUBCOMMAND`: the fleet side, talking to devices through the MQTT broker only. */
export async function fleetCommand(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name.startsWith('--')) throw new UsageError(`name a subcommand: ${NAMES}`);
  if (!subcommandSpec(FLEET_GROUP, name)) throw new UsageError(`unknown subcommand '${name}': ${NAMES}`);
  return SUBCOMMANDS[name](rest, io);
}
