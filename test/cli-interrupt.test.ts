/*
 * Ctrl-C (SIGINT) or SIGTERM part-way through a growth on the command line:
 * the run stops at its next training step with exit 130 and one line, writes
 * no output and leaves the model alone. The training loop hands the event loop
 * a turn every 50 ms (src/train/loop.ts); without it the signal handler ran
 * only once training had ended, and the growth was written as if nothing had
 * happened.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, DEFAULT_MODEL, dirDigest } from './helpers/cli';

interface Interrupted {
  code: number | null;
  stderr: string;
  /** Milliseconds from the signal to the exit. */
  afterSignalMs: number;
}

/** Runs `deepend ARGS`, sends `signal` once stderr shows Stage II training, and waits for the exit. */
function interruptInStage2(args: string[], signal: NodeJS.Signals): Promise<Interrupted> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let signalledAt: number | undefined;
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (signalledAt === undefined && /stage2 epoch|stage2: started/.test(stderr)) {
        signalledAt = performance.now();
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stderr, afterSignalMs: signalledAt === undefined ? -1 : performance.now() - signalledAt }),
    );
  });
}

test('Ctrl-C during `deepend grow` stops it with exit 130 and one line; nothing is written, the model is untouched', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'deepend-interrupt-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const model = join(root, 'model');
  cpSync(DEFAULT_MODEL, model, { recursive: true });
  const before = dirDigest(model);
  const out = join(root, 'grown');
  // 40 epochs would take minutes: the run only ends this soon because the signal stops it.
  const run = await interruptInStage2(
    ['grow', '--model', model, '--data', 'mnist', '--data-limit', '1000', '--to-depth', '3', '--method', 'dils'].concat(
      ['--epochs', '40', '--out', out],
    ),
    'SIGINT',
  );
  assert.notEqual(run.afterSignalMs, -1, `Stage II never started:\n${run.stderr}`);
  assert.equal(run.code, 130, run.stderr);
  assert.match(run.stderr.trim().split('\n').at(-1) ?? '', /^deepend grow: stage2 aborted$/);
  assert.ok(run.afterSignalMs < 15_000, `exited ${run.afterSignalMs} ms after the signal`);
  assert.equal(existsSync(out), false, 'no output after an interrupted growth');
  assert.deepEqual(dirDigest(model), before);
});

test('SIGTERM during `deepend demo` stops it with exit 130; nothing is written', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'deepend-interrupt-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const out = join(root, 'demo');
  const run = await interruptInStage2(['demo', '--to-depth', '3', '--out', out], 'SIGTERM');
  assert.notEqual(run.afterSignalMs, -1, `Stage II never started:\n${run.stderr}`);
  assert.equal(run.code, 130, run.stderr);
  assert.match(run.stderr.trim().split('\n').at(-1) ?? '', /^deepend demo: stage2 aborted$/);
  assert.ok(run.afterSignalMs < 15_000, `exited ${run.afterSignalMs} ms after the signal`);
  assert.equal(existsSync(out), false, 'no output after an interrupted demo');
});
