// The config's dataLimit and --data-limit: growth, the gate, eval and the daemon's model import take at most N samples,
// even across classes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/config';
import { prepareUserModel } from '../src/daemon/user-model';
import { loadSplitForModel } from '../src/data/for-model';
import { useTestBackend } from './helpers/backend';
import { DEFAULT_MODEL, dirDigest, runCli } from './helpers/cli';

test('grow and eval with --data-limit split that many samples, the same split for both; a bad limit is a usage error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'deepend-data-limit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'grown');
  const shipped = dirDigest(DEFAULT_MODEL);
  const grow = await runCli([
    'grow',
    '--model',
    DEFAULT_MODEL,
    '--data',
    'mnist',
    '--data-limit',
    '600',
    '--to-depth',
    '3',
    '--method',
    'identity',
    '--epochs',
    '1',
    '--out',
    out,
    '--json',
  ]);
  assert.equal(grow.code, 0, grow.stderr);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  const counts = report.split.counts as { train: number; validation: number; test: number };
  assert.equal(counts.train + counts.validation + counts.test, 600, JSON.stringify(counts));
  assert.equal(report.heldOutPairs.n, counts.test);

  const evaluated = await runCli(['eval', '--model', out, '--data', 'mnist', '--data-limit', '600', '--json']);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const summary = JSON.parse(evaluated.stdout) as { samples: number; accuracy: number };
  assert.equal(summary.samples, counts.test);
  assert.ok(
    Math.abs(summary.accuracy - report.accuracyAfter) < 1e-9,
    `eval ${summary.accuracy} vs grow ${report.accuracyAfter}`,
  );

  for (const bad of ['0', 'many']) {
    const r = await runCli(['eval', '--model', out, '--data', 'mnist', '--data-limit', bad]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr.trim(),
      /^deepend eval: --data-limit must be (at least 1, got 0|a whole number, got 'many')$/,
    );
  }
  assert.deepEqual(dirDigest(DEFAULT_MODEL), shipped, 'the shipped model is only read');
});

test("the daemon's model import measures the model on the limited data its growths use", async (t) => {
  const backend = await useTestBackend();
  const dir = mkdtempSync(join(tmpdir(), 'deepend-data-limit-import-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const measured = async (dataLimit: number) => {
    const meta = await prepareUserModel(
      { ...defaultConfig(), dataLimit },
      DEFAULT_MODEL,
      {},
      backend,
      join(dir, `v${dataLimit}`),
    );
    return meta.metrics!.splitFingerprint;
  };
  const limited = await measured(600);
  const model = JSON.parse(readFileSync(join(DEFAULT_MODEL, 'meta.json'), 'utf8'));
  assert.equal(limited, (await loadSplitForModel('mnist', model, {}, 600)).fingerprint);
  assert.notEqual(await measured(0), limited, 'without a limit: all the data');
});
