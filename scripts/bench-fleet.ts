/*
 * Fleet benchmark (issues 4 and 14): N simulated devices (docs/design/fleet.md,
 * "Simulation mode": the real fleet agent, MQTT link, SQLite outbox and job
 * bookkeeping; growth and serving simulated) against one mosquitto, the fleet
 * console open in headless chromium, and one rollout in waves with the real
 * `deepend fleet rollout`, whose wave --bad-wave has a quarter of its devices
 * rejected by their gate, so that the rollout must stop there.
 *
 *   npm run bench:fleet [-- --devices 1000 --hosts 4 --grow-seconds 2 --waves 1,10,50,100 --bad-wave 3]
 *   npm run bench:fleet -- --bad-wave 0 --no-console   (every wave passes; no console)
 *
 * Reports: time from the rollout command to its stop (or its last
 * `succeeded`), messages per second through the broker, memory of one agent
 * and of the broker, and the console's SSE latency (MQTT publish -> page,
 * p50/p99), CPU and peak RSS during the rollout.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { startMosquitto } from '../test/helpers/brokers';
import { planWaves } from '../src/fleet/cli/rollout-plan';
import { simulatedDeviceId } from '../src/fleet/sim/simulation';
import { ConsoleProbe, type ConsoleFigures } from './lib/console-probe';
import { option, printTable, writeResults } from './lib/table';

const MB = 1024 * 1024;
const HOST = resolve(__dirname, 'fleet-sim-host.js');
const BIN = resolve(__dirname, '../../bin/deepend.js');
const FLEET = 'bench';

function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return line ? Number(line.split(/\s+/)[1]) * 1024 : NaN;
}

interface Host {
  child: ChildProcess;
  devices: number;
  ready: Promise<{ ready: number; rssBytes: number }>;
}

function startHost(
  url: string,
  root: string,
  first: number,
  devices: number,
  growSeconds: number,
  prefix = 'sim',
  group = 'sim',
  failing: number[] = [],
): Host {
  const child = fork(
    HOST,
    [
      '--url',
      url,
      '--devices',
      String(devices),
      '--first',
      String(first),
      '--prefix',
      prefix,
      '--fleet',
      FLEET,
      '--group',
      group,
      '--root',
      root,
      '--grow-seconds',
      String(growSeconds),
      ...(failing.length > 0 ? ['--fail', failing.join(',')] : []),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  const ready = new Promise<{ ready: number; rssBytes: number }>((done, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) done(JSON.parse(line) as { ready: number; rssBytes: number });
    });
    child.once('exit', (code) => fail(new Error(`a simulation host exited (${code}) before its devices were ready`)));
  });
  return { child, devices, ready };
}

function stopHost(h: Host): Promise<void> {
  if (h.child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => h.child.kill('SIGKILL'), 15_000);
    h.child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    h.child.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  const devices = Number(option('devices', 'DEEPEND_BENCH_DEVICES', '1000'));
  const hosts = Number(option('hosts', 'DEEPEND_BENCH_HOSTS', '4'));
  const growSeconds = Number(option('grow-seconds', 'DEEPEND_BENCH_GROW_SECONDS', '2'));
  const waves = option('waves', 'DEEPEND_BENCH_WAVES', '1,10,50,100');
  const badWave = Number(option('bad-wave', 'DEEPEND_BENCH_BAD_WAVE', '3'));
  const withConsole = !process.argv.includes('--no-console');
  // The devices of the bad wave (as the rollout will plan them: sorted ids, cumulative percentages): every fourth fails.
  const ids = Array.from({ length: devices }, (_, i) => simulatedDeviceId('sim', i));
  const plan = planWaves(ids, waves.split(',').map(Number));
  const badIds = new Set(badWave > 0 ? (plan.batches[badWave - 1] ?? []).filter((_, k) => k % 4 === 0) : []);
  const failing = ids.map((id, i) => (badIds.has(id) ? i : -1)).filter((i) => i >= 0);
  const expectStop = failing.length > 0;
  const root = mkdtempSync(join(tmpdir(), 'deepend-bench-fleet-'));
  const broker = await startMosquitto(undefined, { quiet: true });
  const brokerPid = broker.pid()!;
  const brokerIdleRss = rssOf(brokerPid);
  const all: Host[] = [];
  try {
    // One agent alone: the memory of a single simulated device process.
    const single = startHost(broker.url, join(root, 'single'), 0, 1, growSeconds, 'solo', 'solo');
    all.push(single);
    await single.ready;
    await new Promise((r) => setTimeout(r, 1000));
    const singleRss = rssOf(single.child.pid!);

    const started = performance.now();
    const per = Math.ceil(devices / hosts);
    const fleet: Host[] = [];
    for (let first = 0; first < devices; first += per)
      fleet.push(
        startHost(
          broker.url,
          join(root, 'fleet'),
          first,
          Math.min(per, devices - first),
          growSeconds,
          'sim',
          'sim',
          failing.filter((i) => i >= first && i < first + per),
        ),
      );
    all.push(...fleet);
    await Promise.all(fleet.map((h) => h.ready));
    const connectSeconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 2000));
    const hostRss = fleet.map((h) => rssOf(h.child.pid!));
    const brokerLoadedRss = rssOf(brokerPid);

    const observer = mqtt.connect(broker.url, { protocolVersion: 5, clientId: 'bench-observer' });
    await new Promise<void>((r) => observer.once('connect', () => r()));
    await observer.subscribeAsync(`deepend/v1/${FLEET}/#`, { qos: 1 });
    let counting = false;
    let messages = 0;
    let bytes = 0;
    const succeededAt = new Map<string, number>();
    let t0 = 0;
    observer.on('message', (topic, payload, packet) => {
      if (!counting || packet.retain) return;
      messages++;
      bytes += payload.length;
      if (topic.endsWith('/reported')) {
        const body = JSON.parse(payload.toString()) as { status: string };
        if (body.status === 'succeeded') succeededAt.set(topic.split('/')[3], performance.now() - t0);
      }
    });
    const probe = withConsole ? await ConsoleProbe.start(broker.url, FLEET, join(root, 'console-home')) : null;
    await new Promise((r) => setTimeout(r, probe ? 3000 : 500));

    counting = true;
    probe?.begin();
    t0 = performance.now();
    const cli = spawn(
      process.execPath,
      [
        BIN,
        'fleet',
        'rollout',
        '--url',
        broker.url,
        '--fleet',
        FLEET,
        '--group',
        'sim',
        '--to-depth',
        '4',
        '--waves',
        waves,
        '--max-failures',
        '10',
        '--state',
        join(root, 'rollouts.db'),
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let cliOut = '';
    let cliErr = '';
    cli.stdout.on('data', (d: Buffer) => (cliOut += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (cliErr += d.toString()));
    const cliCode = await new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    const cliSeconds = (performance.now() - t0) / 1000;
    const consoleFigures: ConsoleFigures | null = probe ? await probe.end() : null;
    // A rollout that passes: the last reports may come after the CLI's summary.
    const deadline = Date.now() + 30_000;
    while (!expectStop && succeededAt.size < devices && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    counting = false;
    const lastMs = Math.max(...succeededAt.values());
    // A rollout that must stop ends with the CLI; one that passes, with the last device's `succeeded`.
    const rolloutSeconds = expectStop ? cliSeconds : lastMs / 1000;
    const summary = (cliOut.trim().startsWith('{') ? JSON.parse(cliOut) : null) as {
      status: string;
      stop: { rule: string; why: string; batch?: number } | null;
      totals: { succeeded: number; rejected: number; failed: number; pending: number; notSent: number };
    } | null;
    if (cliCode !== (expectStop ? 1 : 0))
      process.stderr.write(
        `bench-fleet: the rollout exited ${cliCode}: ${cliErr.trim().split('\n').slice(-3).join(' | ')}\n`,
      );
    await observer.endAsync(true);

    const agentRssMarginal = (hostRss.reduce((a, b) => a + b, 0) - fleet.length * singleRss) / (devices - fleet.length);
    const rows: (string | number)[][] = [
      ['devices (simulated agents)', devices],
      ['simulation hosts (processes)', fleet.length],
      ['seconds for every device to connect', Number(connectSeconds.toFixed(2))],
      ['rollout waves (%)', waves],
      [`devices made to fail (every 4th of wave ${badWave})`, failing.length],
      [
        'rollout: how it ended',
        summary ? `${summary.status}${summary.stop ? `: ${summary.stop.why}` : ''}` : `exit ${cliCode}`,
      ],
      [
        'rollout: succeeded / rejected / failed / pending / not sent',
        summary
          ? `${summary.totals.succeeded} / ${summary.totals.rejected} / ${summary.totals.failed} / ${summary.totals.pending} / ${summary.totals.notSent}`
          : '-',
      ],
      [
        expectStop ? 'rollout: command -> stop (s)' : 'rollout: command -> last succeeded (s)',
        Number(rolloutSeconds.toFixed(2)),
      ],
      ['rollout: CLI run until its summary (s)', Number(cliSeconds.toFixed(2))],
      ['devices that reported succeeded', succeededAt.size],
      ['simulated growth per device (s)', growSeconds],
      ['messages during the rollout (fleet subscriber)', messages],
      ['messages per second', Number((messages / rolloutSeconds).toFixed(0))],
      ['payload bytes per second', Number((bytes / rolloutSeconds).toFixed(0))],
      ['RSS of a process with one agent (MB)', Number((singleRss / MB).toFixed(1))],
      ['RSS per additional agent in a host (MB)', Number((agentRssMarginal / MB).toFixed(2))],
      ['RSS of a host with ~' + per + ' agents (MB)', Number((hostRss[0] / MB).toFixed(1))],
      ['broker RSS idle, no clients (MB)', Number((brokerIdleRss / MB).toFixed(2))],
      [`broker RSS with ${devices + 1} clients (MB)`, Number((brokerLoadedRss / MB).toFixed(2))],
      ['broker RSS after the rollout (MB)', Number((rssOf(brokerPid) / MB).toFixed(2))],
      ...(consoleFigures
        ? [
            [
              'console: probe states published / seen by the page',
              `${consoleFigures.probesSent} / ${consoleFigures.probesSeen}`,
            ],
            ['console: SSE latency MQTT -> page p50 (ms)', consoleFigures.latencyMs.p50],
            ['console: SSE latency MQTT -> page p99 (ms)', consoleFigures.latencyMs.p99],
            ['console: SSE latency max (ms)', consoleFigures.latencyMs.max],
            [
              'console: CPU during the rollout (% of one core)',
              Number(((100 * consoleFigures.cpuSeconds) / consoleFigures.windowSeconds).toFixed(1)),
            ],
            ['console: peak RSS (MB)', Number((consoleFigures.peakRssBytes / MB).toFixed(1))],
          ]
        : []),
    ];
    printTable(['fleet benchmark (mosquitto ' + broker.url + ')', 'value'], rows);
    const path = writeResults('fleet', {
      devices,
      hosts: fleet.length,
      growSeconds,
      waves,
      badWave,
      failingDevices: failing.length,
      console: consoleFigures,
      connectSeconds,
      rolloutSeconds,
      cliSeconds,
      cliExitCode: cliCode,
      succeeded: succeededAt.size,
      messages,
      messagesPerSecond: messages / rolloutSeconds,
      bytesPerSecond: bytes / rolloutSeconds,
      singleAgentRssBytes: singleRss,
      rssPerAdditionalAgentBytes: agentRssMarginal,
      hostRssBytes: hostRss,
      brokerIdleRssBytes: brokerIdleRss,
      brokerLoadedRssBytes: brokerLoadedRss,
      rolloutSummary: summary ?? cliOut.trim().split('\n').slice(-5),
      machine: { cores: cpus().length },
    });
    process.stdout.write(`wrote ${path}\n`);
    const stoppedWhereExpected = summary?.status === 'stopped' && summary.stop?.batch === badWave - 1;
    if (expectStop ? !stoppedWhereExpected : succeededAt.size < devices) process.exitCode = 1;
  } finally {
    await Promise.all(all.map(stopHost));
    await broker.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-fleet: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
