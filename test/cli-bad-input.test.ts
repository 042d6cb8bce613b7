import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MODEL, dirDigest, runCli } from './helpers/cli';

const root = mkdtempSync(join(tmpdir(), 'deepend-cli-'));
const model = join(root, 'model');
cpSync(DEFAULT_MODEL, model, { recursive: true });
const pristine = dirDigest(model);

function damagedCopy(name: string, damage: (dir: string) => void): string {
  const dir = join(root, name);
  cpSync(DEFAULT_MODEL, dir, { recursive: true });
  damage(dir);
  return dir;
}

function csv(name: string, text: string): string {
  const path = join(root, name);
  writeFileSync(path, text);
  return path;
}

function folderWithClasses(name: string, classes: string[]): string {
  const dir = join(root, name);
  for (const c of classes) mkdirSync(join(dir, c), { recursive: true });
  return dir;
}

const corrupt = damagedCopy('corrupt', (d) => writeFileSync(join(d, 'model.json'), '{ not json'));
const tampered = damagedCopy('tampered', (d) => {
  const meta = join(d, 'meta.json');
  const text = require('node:fs').readFileSync(meta, 'utf8') as string;
  writeFileSync(meta, text.replace(/"weightsSha256": "[0-9a-f]{64}"/, `"weightsSha256": "${'0'.repeat(64)}"`));
});
const noWeights = damagedCopy('noweights', (d) => rmSync(join(d, 'weights.bin')));
const wrongFeatures = csv('five.csv', 'a,b,c,d,e,label\n1,2,3,4,5,0\n2,3,4,5,6,1\n');
const headerOnly = csv('empty.csv', 'a,label\n');
const letters = folderWithClasses('letters', ['cat', 'dog']);

interface Case {
  what: string;
  args: (out: string) => string[];
  expect: RegExp;
  code?: number;
}

const grow = (over: Record<string, string>) => (out: string) => {
  const flags: Record<string, string> = {
    model,
    data: 'mnist',
    'to-depth': '3',
    method: 'identity',
    out,
    epochs: '1',
    ...over,
  };
  // --json keeps progress off stderr, so the error must be stderr's only line.
  return ['grow', ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v]), '--json'];
};

const cases: Case[] = [
  { what: 'missing model directory', args: grow({ model: join(root, 'nope') }), expect: /nope: not found/ },
  { what: 'corrupt model.json', args: grow({ model: corrupt }), expect: /model\.json is not valid JSON/ },
  { what: 'sha256 mismatch', args: grow({ model: tampered }), expect: /sha256 .* does not match meta\.json/ },
  { what: 'missing weights', args: grow({ model: noWeights }), expect: /weights file is missing/ },
  {
    what: 'unknown method',
    args: grow({ method: 'magic' }),
    expect: /^deepend grow: unknown growth method 'magic'/,
    code: 2,
  },
  {
    what: 'to-depth not above current',
    args: grow({ 'to-depth': '2' }),
    expect: /--to-depth 2 must be a whole number above the model's current depth 2/,
  },
  { what: 'feature shape mismatch', args: grow({ data: wrongFeatures }), expect: /\[5\].*\[28,28,1\]|feature|shape/i },
  { what: 'class mismatch', args: grow({ data: letters }), expect: /cat|class/i },
  { what: 'empty data', args: grow({ data: headerOnly }), expect: /empty|no (data|rows|samples)/i },
  { what: 'missing data source', args: grow({ data: join(root, 'nothing.csv') }), expect: /does not exist/ },
  {
    what: 'too few samples to hold any out',
    args: grow({ 'data-limit': '20' }),
    expect:
      /^deepend grow: mnist: 20 samples leave 0 held out and 0 for validation .*: give at least 5 samples of each class/,
  },
  { what: 'NaN loss', args: grow({ lr: '1e30', method: 'random' }), expect: /NaN or infinite/ },
  {
    what: 'unknown family',
    args: (out) => ['train', '--family', 'transformer', '--depth', '2', '--data', 'mnist', '--out', out],
    expect: /^deepend train: unknown model family 'transformer'/,
    code: 2,
  },
  {
    what: 'bad number',
    args: grow({ 'to-depth': 'four' }),
    expect: /--to-depth must be a whole number, got 'four'/,
    code: 2,
  },
];

test('every bad input: one clear line, non-zero exit, input model untouched, no output written', async (t) => {
  try {
    for (const c of cases) {
      await t.test(c.what, async () => {
        const out = join(root, `out-${c.what.replace(/\W+/g, '-')}`);
        const r = await runCli(c.args(out));
        const lines = r.stderr.trim().split('\n');
        assert.notEqual(r.code, 0, `${c.what}: exit code 0`);
        if (c.code !== undefined) assert.equal(r.code, c.code);
        assert.equal(lines.length, 1, `${c.what}: stderr is not one line:\n${r.stderr}`);
        assert.match(lines[0], c.expect);
        assert.ok(!existsSync(out), `${c.what}: output directory was created`);
        assert.deepEqual(dirDigest(model), pristine, `${c.what}: input model changed`);
        assert.deepEqual(
          readdirSync(root).filter((f) => f.includes('.partial-')),
          [],
          `${c.what}: partial output left behind`,
        );
      });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
