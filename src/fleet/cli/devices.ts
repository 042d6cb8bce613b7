/* `deepend fleet devices`: the fleet's devices from their retained births, states and reports. */
import { parseArgs } from '../../cli-kit/args';
import type { CommandIO } from '../../cli-kit/output';
import { fleetWildcard } from '../../contract/topics';
import type { DeviceRow } from './fleet-view';
import { accuracyText, ago, orDash } from './format';
import { FleetSession } from './session';
import { formatTable } from '../../cli-kit/table';
import { resolveTarget } from './target';
import { warner } from './warn';
import { DEVICES_SPEC } from './specs';

/** States a device holds while its MQTT session is up: were it gone, the broker would have published its will (lost). */
const CONNECTED: readonly (string | null)[] = ['init', 'ready', 'upgrading', 'degraded'];

/** LAST SEEN: `now` for a connected device (its retained messages may be a minute old), else how long ago. */
function lastSeenText(r: DeviceRow, now: number): string {
  return CONNECTED.includes(r.state) ? 'now' : ago(r.lastSeen, now);
}

export function deviceTable(rows: DeviceRow[], now = Date.now()): string[] {
  return formatTable(
    ['DEVICE', 'HARDWARE', 'BACKEND', 'MODEL', 'DEPTH', 'ACCURACY', 'STATE', 'LAST SEEN'],
    rows.map((r) => [
      r.device,
      orDash(r.hardware),
      orDash(r.backend),
      r.modelVersion === null ? '-' : `v${r.modelVersion}`,
      orDash(r.depth),
      accuracyText(r.accuracy),
      orDash(r.state),
      lastSeenText(r, now),
    ]),
  );
}

/** The topics whose retained messages make up the device rows. */
export function deviceRowTopics(fleet: string): string[] {
  return [
    fleetWildcard(fleet, 'birth'),
    fleetWildcard(fleet, 'state'),
    fleetWildcard(fleet, 'reported'),
    fleetWildcard(fleet, 'telemetry'),
  ];
}

export async function fleetDevices(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(DEVICES_SPEC, argv);
  const target = resolveTarget(args);
  const session = await FleetSession.open(target, warner(io));
  try {
    await session.subscribe(deviceRowTopics(target.fleet));
    await session.settle(io.signal);
  } finally {
    await session.close();
  }
  const rows = session.view.rows();
  if (io.json) {
    io.out(JSON.stringify({ fleet: target.fleet, broker: session.conn.broker, devices: rows }));
  } else if (rows.length === 0) {
    io.out(`no devices in fleet ${target.fleet} on ${session.conn.broker}`);
  } else {
    for (const line of deviceTable(rows)) io.out(line);
  }
  return 0;
}
