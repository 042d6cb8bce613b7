import { subcommandSpec, UsageError } from '../../cli-kit/args';
import { CommandIO } from '../../cli-kit/output';
import { FLEET_GROUP } from '../command-specs';

type Subcommand = (argv: string[], io: CommandIO) => Promise<number>;

/** Each subcommand loads only its own code: `fleet devices` does not load the console or the simulator. */
const SUBCOMMANDS: Record<string, () => Promise<Subcommand>> = {
  devices: async () => (await import('../../fleet/cli/devices')).fleetDevices,
  deepen: async () => (await import('../../fleet/cli/deepen')).fleetDeepen,
  rollout: async () => (await import('../../fleet/cli/rollout')).fleetRollout,
  control: async () => (await import('../../fleet/cli/control')).fleetControl,
  watch: async () => (await import('../../fleet/cli/watch')).fleetWatch,
  console: async () => (await import('../../fleet/console/command')).fleetConsole,
  simulate: async () => (await import('../../fleet/cli/simulate')).fleetSimulate,
};

const NAMES = 'devices, deepen, rollout, control, watch, console or simulate';

/** `deepend fleet SUBCOMMAND`: the fleet side, talking to devices through the MQTT broker only. */
export async function fleetCommand(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name.startsWith('--')) throw new UsageError(`name a subcommand: ${NAMES}`);
  if (!subcommandSpec(FLEET_GROUP, name)) throw new UsageError(`unknown subcommand '${name}': ${NAMES}`);
  const run = await SUBCOMMANDS[name]();
  return run(rest, io);
}
