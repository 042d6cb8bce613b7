/*
 * Hosts many simulated fleet devices in one process (docs/design/fleet.md,
 * "Simulation mode"): each is the real fleet agent with its own SQLite store
 * and MQTT connection; growth and serving are simulated.
 *
 *   node dist/scripts/fleet-sim-host.js --url mqtt://127.0.0.1:1883 --devices 50 [--first 0] [--prefix sim]
 *     [--fleet default] [--group sim] [--root DIR] [--grow-seconds 2] [--fail 3,17] [--telemetry-seconds 0]
 *
 * Prints one JSON line `{"ready": N, "rssBytes": ...}` once every device has
 * connected, answers IPC `{"type": "rss"}` with its RSS, and stops every
 * device cleanly (state `offline`) on SIGTERM or SIGINT.
 */
import { createLogger } from '../src/util/log';
import { startSimulation } from '../src/fleet/sim/simulation';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const url = flag('url', '');
  if (!url) throw new Error('--url is required (the broker the devices connect to)');
  const count = Number(flag('devices', '50'));
  const first = Number(flag('first', '0'));
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(first) || first < 0)
    throw new Error('--devices must be a whole number >= 1 and --first >= 0');
  const simulation = await startSimulation({
    url,
    fleet: flag('fleet', 'default'),
    group: flag('group', 'sim'),
    count,
    first,
    prefix: flag('prefix', 'sim'),
    growSeconds: Number(flag('grow-seconds', '2')),
    telemetrySeconds: Number(flag('telemetry-seconds', '0')),
    failing: new Set(flag('fail', '').split(',').filter(Boolean).map(Number)),
    root: flag('root', '') || undefined,
    log: createLogger({ level: 'warn', stream: process.stderr }),
  });
  process.stdout.write(
    `${JSON.stringify({ ready: simulation.devices.length, rssBytes: process.memoryUsage.rss(), root: simulation.root })}\n`,
  );
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'rss')
      process.send?.({
        type: 'rss',
        rssBytes: process.memoryUsage.rss(),
        heapUsedBytes: process.memoryUsage().heapUsed,
      });
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await simulation.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`fleet-sim-host: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
