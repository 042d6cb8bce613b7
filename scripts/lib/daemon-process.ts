import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { DAEMON_NODE_FLAGS } from '../../src/util/node-flags';

const BIN = resolve(__dirname, '../../../bin/deepend.js');

export type LogLine = Record<string, unknown> & { msg: string; level: string; time: string };

/**
 * A real `deepend start` child process and the JSON log lines it wrote (stdout is a pipe, so the daemon logs JSON).
 * `shippedFlags`: started with the Node flags `npm start` and the systemd unit give it (V8's memory-saving mode), as
 * the benchmarks measure it. The tests' daemons run without them: with them the suite took 783 CPU-s instead of 697
 * (the small young generation collects more often while TF.js loads), and what they test does not depend on them.
 */
export class DaemonProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly pid: number;
  private readonly child: ChildProcessWithoutNullStreams;
  private waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv, opts: { nodeArgs?: string[]; shippedFlags?: boolean } = {}) {
    const flags = [...(opts.shippedFlags ? DAEMON_NODE_FLAGS : []), ...(opts.nodeArgs ?? [])];
    this.child = spawn(process.execPath, [...flags, BIN, 'start', ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid!;
    let partial = '';
    this.child.stdout.on('data', (d: Buffer) => {
      partial += d.toString();
      const parts = partial.split('\n');
      partial = parts.pop()!;
      for (const text of parts) {
        if (text.trim() === '') continue;
        const line = JSON.parse(text) as LogLine;
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => {
          if (!w.match(line)) return true;
          w.resolve(line);
          return false;
        });
      }
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((done) => this.child.on('close', (code, signal) => done({ code, signal })));
  }

  /** The first line, logged so far or later, that matches; rejects when the process exits first or time runs out. */
  waitFor(match: (l: LogLine) => boolean, timeoutMs = 180_000): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`no matching log line after ${timeoutMs} ms; stderr: ${this.stderr}`)),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: (l) => {
          clearTimeout(timer);
          done(l);
        },
      });
      void this.exited.then(({ code }) => {
        clearTimeout(timer);
        fail(new Error(`the daemon exited (${code}) before the line came; stderr: ${this.stderr}`));
      });
    });
  }

  /** Waits for 'deepend running'; returns the HTTP base URL. */
  async running(timeoutMs = 180_000): Promise<string> {
    return String((await this.waitFor((l) => l.msg === 'deepend running', timeoutMs)).url);
  }

  stop(s: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(s);
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
