import { subcommandSpec, UsageError } from '../../cli-kit/args';
import { CommandIO } from '../../cli-kit/output';
import { fleetDeepen } from '../../fleet/cli/deepen';
import { fleetDevices } from '../../fleet/cli/devices';
import { fleetRollout } from '../../fleet/cli/rollout';
import { fleetWatch } from '../../fleet/cli/watch';
import { FLEET_GROUP } from '../command-specs';

const SUBCOMMANDS: Record<string, (argv: string[], io: CommandIO) => Promise<number>> = {
  devices: fleetDevices,
  deepen: fleetDeepen,
  rollout: fleetRollout,
  watch: fleetWatch,
};

/** `deepend fleet SUBCOMMAND`: the fleet side, talking to devices through the MQTT broker only. */
export async function fleetCommand(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name.startsWith('--'))
    throw new UsageError('name a subcommand: devices, deepen, rollout or watch');
  if (!subcommandSpec(FLEET_GROUP, name))
    throw new UsageError(`unknown subcommand '${name}': devices, deepen, rollout or watch`);
  return SUBCOMMANDS[name](rest, io);
}
