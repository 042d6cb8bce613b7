/*
 * Hosts many simulated fleet devices in one process (docs/fleet.md,
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
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/util/log';
import { SHIPPED_MODEL_DIR } from '../src/daemon/shipped-model';
import { startSimulatedDevice, type SimulatedDevice } from '../src/fleet/sim/simulated-device';
import type { PolicyRule } from '../src/policy/types';
import { verifyModelDir } from '../src/store/model-verify';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** The rule every simulated device matches: grow to depth 4 in steps of up to 2 blocks, gate: no loss of accuracy. */
const SIMULATION_RULE: PolicyRule = {
  name: 'simulation',
  match: {},
  targetDepth: 4,
  method: 'dils',
  maxStep: 2,
  budget: { epochs: 1 },
  gate: { minGain: 0, minAccuracy: 0 },
  automatic: false,
};

async function main(): Promise<void> {
  const url = flag('url', '');
  if (!url) throw new Error('--url is required (the broker the devices connect to)');
  const count = Number(flag('devices', '50'));
  const first = Number(flag('first', '0'));
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(first) || first < 0)
    throw new Error('--devices must be a whole number >= 1 and --first >= 0');
  const prefix = flag('prefix', 'sim');
  const group = flag('group', 'sim');
  const fleet = flag('fleet', 'default');
  const growSeconds = Number(flag('grow-seconds', '2'));
  const telemetrySeconds = Number(flag('telemetry-seconds', '0'));
  const failing = new Set(flag('fail', '').split(',').filter(Boolean).map(Number));
  const root = flag('root', '') || mkdtempSync(join(tmpdir(), 'deepend-sim-'));
  const meta = verifyModelDir(SHIPPED_MODEL_DIR);
  const model = {
    name: 'default',
    depth: meta.depth,
    accuracy: Number(meta.metrics.accuracy ?? 0.9),
    sha256: meta.weightsSha256,
    dir: SHIPPED_MODEL_DIR,
  };
  const log = createLogger({ level: 'warn', stream: process.stderr });

  const devices: SimulatedDevice[] = [];
  for (let i = first; i < first + count; i++) {
    const deviceId = `${prefix}-${String(i).padStart(4, '0')}`;
    devices.push(
      await startSimulatedDevice({
        root,
        deviceId,
        fleet,
        groups: [group],
        url,
        model,
        rule: SIMULATION_RULE,
        growSeconds,
        accuracyGain: failing.has(i) ? -0.05 : 0.004,
        telemetrySeconds,
        log,
      }),
    );
  }
  const deadline = Date.now() + 60_000;
  while (devices.some((d) => !d.agent.connected())) {
    if (Date.now() > deadline)
      throw new Error(
        `${devices.filter((d) => !d.agent.connected()).length} simulated devices did not connect to ${url} within 60 s`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
  process.stdout.write(`${JSON.stringify({ ready: devices.length, rssBytes: process.memoryUsage.rss(), root })}\n`);
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
    await Promise.all(devices.map((d) => d.stop()));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`fleet-sim-host: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
