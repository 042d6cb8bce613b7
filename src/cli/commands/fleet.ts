import { CommandGroup, subcommandSpec, UsageError } from '../args';
import { CommandIO } from '../output';
import { DEEPEN_FLEET_SPEC, fleetDeepen } from '../../fleet/cli/deepen';
import { DEVICES_SPEC, fleetDevices } from '../../fleet/cli/devices';
import { fleetRollout, ROLLOUT_SPEC } from '../../fleet/cli/rollout';
import { fleetWatch, WATCH_SPEC } from '../../fleet/cli/watch';

const SUBCOMMANDS: Record<string, (argv: string[], io: CommandIO) => Promise<number>> = {
  devices: fleetDevices,
  deepen: fleetDeepen,
  rollout: fleetRollout,
  watch: fleetWatch,
};

export const FLEET_GROUP: CommandGroup = {
  command: 'fleet',
  summary: 'The fleet side: devices, deepen, rollouts and a live view, over the MQTT broker only.',
  subcommands: [DEVICES_SPEC, DEEPEN_FLEET_SPEC, ROLLOUT_SPEC, WATCH_SPEC],
  note: 'each takes [--url URL] [--fleet F] [--config FILE]',
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
