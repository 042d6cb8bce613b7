/*
 * The fleet console under load, for bench:fleet: a real `deepend fleet
 * console` process, its page open in headless chromium, and a probe device
 * whose state messages (published every PROBE_MS with their publish time as
 * `ts`) are timed from the MQTT publish to the page's Server-Sent Event that
 * carries them (the device document's `lastSeen`), on one machine and one
 * clock. Also the console process's CPU time and peak RSS over the window.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import mqtt from 'mqtt';
import type { Page } from 'puppeteer-core';
import { deviceTopics } from '../../src/contract/topics';
import { encodeMessage } from '../../src/contract/validate';
import { launchChromium } from '../../test/helpers/browser';

const BIN = resolve(__dirname, '../../../bin/deepend.js');
const PROBE_DEVICE = 'probe-0000';
const PROBE_MS = 200;
const TICKS_PER_SECOND = 100;

export interface ConsoleFigures {
  probesSent: number;
  probesSeen: number;
  latencyMs: { p50: number; p99: number; max: number };
  cpuSeconds: number;
  windowSeconds: number;
  peakRssBytes: number;
  /** Each probe the page saw: seconds since the window began (at publish), and its latency in ms. */
  series: [number, number][];
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return line ? Number(line.split(/\s+/)[1]) * 1024 : 0;
}

export class ConsoleProbe {
  private timer: NodeJS.Timeout | null = null;
  private rssTimer: NodeJS.Timeout | null = null;
  private sent = 0;
  private peakRss = 0;
  private startTicks = 0;
  private startedAt = 0;

  private constructor(
    private readonly console: ChildProcess,
    private readonly page: Page,
    private readonly client: mqtt.MqttClient,
    private readonly fleet: string,
    private readonly closers: (() => void | Promise<void>)[],
  ) {}

  /** Starts the console on a free port, opens its page in chromium and connects the probe device. */
  static async start(brokerUrl: string, fleet: string, home: string): Promise<ConsoleProbe> {
    const child = spawn(
      process.execPath,
      [BIN, 'fleet', 'console', '--url', brokerUrl, '--fleet', fleet, '--port', '0'],
      { env: { ...process.env, DEEPEND_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const url = await new Promise<string>((done, fail) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = / on \S+: (http:\/\/\S+)/.exec(err);
        if (m) done(m[1]);
      });
      child.once('exit', (code) => fail(new Error(`the console exited (${code}): ${err.trim()}`)));
    });
    // The tests' chromium (its own profile, removed when closed), closed by end().
    const closers: (() => void | Promise<void>)[] = [];
    const browser = await launchChromium({ after: (fn) => closers.push(fn) });
    const page = await browser.newPage();
    await page.goto(url, { waitUntil: 'load' });
    // In the page (no DOM types here): every `device` event of the probe device, with when it arrived.
    await page.evaluate(`window.__probe = [];
      new EventSource('/api/events').addEventListener('device', (e) => {
        const d = JSON.parse(e.data);
        if (d.id === ${JSON.stringify(PROBE_DEVICE)} && d.lastSeen) window.__probe.push([Date.now(), d.lastSeen]);
      });`);
    const client = await mqtt.connectAsync(brokerUrl, { protocolVersion: 5, clientId: 'bench-console-probe' });
    return new ConsoleProbe(child, page, client, fleet, closers);
  }

  get pid(): number {
    return this.console.pid!;
  }

  /** Starts publishing probes and counting the console's CPU. */
  begin(): void {
    this.startTicks = cpuTicks(this.pid);
    this.startedAt = performance.now();
    const topic = deviceTopics(this.fleet, PROBE_DEVICE).state;
    this.timer = setInterval(() => {
      this.sent++;
      const state = this.sent % 2 === 0 ? 'ready' : 'upgrading';
      const payload = encodeMessage('state', { state, session: 1, ts: new Date().toISOString() });
      this.client.publish(topic, payload, { qos: 0, retain: true });
    }, PROBE_MS);
    this.rssTimer = setInterval(() => {
      this.peakRss = Math.max(this.peakRss, rssBytes(this.pid));
    }, 1000);
  }

  /** Stops the probes, reads what the page saw, and closes the page, the browser and the console. */
  async end(): Promise<ConsoleFigures> {
    if (this.timer) clearInterval(this.timer);
    if (this.rssTimer) clearInterval(this.rssTimer);
    const windowSeconds = (performance.now() - this.startedAt) / 1000;
    const cpuSeconds = (cpuTicks(this.pid) - this.startTicks) / TICKS_PER_SECOND;
    this.peakRss = Math.max(this.peakRss, rssBytes(this.pid));
    await new Promise((r) => setTimeout(r, 1500));
    const seen = (await this.page.evaluate('window.__probe')) as [number, string][];
    const began = Date.now() - (performance.now() - this.startedAt);
    const series = seen.map(([at, ts]): [number, number] => [
      Math.round((Date.parse(ts) - began) / 100) / 10,
      at - Date.parse(ts),
    ]);
    const latencies = series.map(([, ms]) => ms).sort((a, b) => a - b);
    await this.close();
    return {
      probesSent: this.sent,
      probesSeen: latencies.length,
      latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.at(-1) ?? Number.NaN },
      cpuSeconds,
      windowSeconds,
      peakRssBytes: this.peakRss,
      series,
    };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.rssTimer) clearInterval(this.rssTimer);
    await this.client.endAsync(true).catch(() => undefined);
    for (const close of this.closers.splice(0)) await Promise.resolve(close()).catch(() => undefined);
    if (this.console.exitCode === null) {
      const exited = new Promise((r) => this.console.once('exit', r));
      this.console.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (this.console.exitCode === null) this.console.kill('SIGKILL');
    }
  }
}
