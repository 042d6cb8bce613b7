/* Running `deepend fleet` against a test broker, with a temp home so no real config is read. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, CliResult } from './cli';

export interface RunningCli {
  stdout(): string;
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
  done: Promise<CliResult>;
}

export interface FleetCli {
  home: string;
  run(args: string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult>;
  /** The same, with its output readable while it runs (to signal it at a chosen moment). */
  start(args: string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): RunningCli;
}

function startCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { stdout: () => stdout, stderr: () => stderr, kill: (s) => child.kill(s), done };
}

/** `deepend fleet SUB ... --url URL --fleet FLEET` (each when not null) with DEEPEND_HOME in a temp directory. */
export function fleetCli(t: { after(fn: () => void): void }, url: string | null, fleet: string | null): FleetCli {
  const home = mkdtempSync(join(tmpdir(), 'deepend-fleet-cli-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const start = (args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) => {
    const target = [...(url === null ? [] : ['--url', url]), ...(fleet === null ? [] : ['--fleet', fleet])];
    return startCli(['fleet', ...args, ...target], { DEEPEND_HOME: home, ...opts.env }, opts.timeoutMs ?? 300_000);
  };
  return { home, start, run: (args, opts) => start(args, opts).done };
}

/** Resolves when `text()` matches, polling; rejects after `ms`. */
export async function eventually(text: () => string, pattern: RegExp, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(text())) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${ms} ms in:\n${text()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
