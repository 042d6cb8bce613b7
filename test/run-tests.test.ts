import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { addTapCounts, emptyCounts, longestFirst, startsAnother } from '../scripts/lib/test-scheduling';

// npm test's runner (scripts/run-tests.ts): which files start when, and what it counts and exits with.

const RUNNER = join(__dirname, '..', 'scripts', 'run-tests.js');

test('a file starts while fewer than `jobs` run, and beyond them only on idle cores, up to `maxJobs`', () => {
  const limits = { jobs: 4, maxJobs: 6, minIdleCores: 0.5 };
  assert.equal(startsAnother(limits, 3, 0), true);
  assert.equal(startsAnother(limits, 4, 0.4), false);
  assert.equal(startsAnother(limits, 4, 0.5), true);
  assert.equal(startsAnother(limits, 5, 1.9), true);
  assert.equal(startsAnother(limits, 6, 2), false);
});

test('the longest files start first, files with no recorded time before them, ties by name', () => {
  const seconds = { 'a.test.ts': 5, 'b.test.ts': 200, 'c.test.ts': 5 };
  const key = (f: string) => basename(f).replace(/\.js$/, '.ts');
  assert.deepEqual(longestFirst(['d/a.test.js', 'd/c.test.js', 'd/new.test.js', 'd/b.test.js'], seconds, key), [
    'd/new.test.js',
    'd/b.test.js',
    'd/a.test.js',
    'd/c.test.js',
  ]);
});

test("a file's TAP summary adds to the counts; output that ends before its summary adds nothing", () => {
  const counts = emptyCounts();
  assert.equal(addTapCounts(counts, 'TAP version 13\nok 1 - x\n1..2\n# tests 2\n# pass 1\n# skipped 1\n'), true);
  assert.equal(addTapCounts(counts, '# tests 3\n# pass 2\n# fail 1\n'), true);
  assert.equal(addTapCounts(counts, 'TAP version 13\n# Subtest: cut short\n'), false);
  assert.deepEqual(counts, { ...emptyCounts(), tests: 5, pass: 3, fail: 1, skipped: 1 });
});

test('a failing test and a file that dies before its tests both fail the run and are named at the end', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'deepend-run-tests-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, body: string) => {
    writeFileSync(join(dir, name), `const { test } = require('node:test');\n${body}\n`);
    return join(dir, name);
  };
  const passing = file('pass.test.js', "test('holds', () => {});\ntest('later', { skip: 'not yet' }, () => {});");
  const failing = file('fail.test.js', "test('breaks', () => { throw new Error('no'); });");
  const dying = file('dies.test.js', 'process.exit(3);');
  const run = (...args: string[]) => spawnSync(process.execPath, [RUNNER, ...args], { encoding: 'utf8' });

  const all = run('--jobs', '2', '--max-jobs', '2', passing, failing, dying);
  assert.equal(all.status, 1, all.stdout + all.stderr);
  const summary = all.stdout.slice(all.stdout.lastIndexOf('# files'));
  assert.match(summary, /^# files 3\n# tests 3\n# suites 0\n# pass 1\n# fail 1\n# cancelled 0\n# skipped 1\n/);
  assert.match(summary, new RegExp(`# failed: ${failing}\\n#   not ok 1 - breaks\\n`));
  assert.match(summary, new RegExp(`# failed: ${dying}\\n`));
  assert.doesNotMatch(summary, /# failed: .*pass\.test\.js/);
  assert.match(all.stdout, new RegExp(`# file ${dying}: not ok \\(exit 3\\)`));

  const ok = run(passing);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /# files 1\n# tests 2\n/);

  const bad = run('--jobs', '0', passing);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, "run-tests: --jobs must be a number >= 1 (got '0')\n");
  const help = run('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: npm test -- \[--jobs N\]/);
});
