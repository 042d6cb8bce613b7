// The front door as a new user meets it: help, --version, usage errors (real `deepend` processes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { DEFAULT_MODEL, REPO, runCli } from './helpers/cli';

const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/** The flag lines of a help text: "  --name VALUE   description". */
function flagLines(help: string): string[] {
  return help.split('\n').filter((l) => l.startsWith('  --'));
}

function assertEveryFlagDescribed(help: string, what: string): void {
  const flags = flagLines(help);
  assert.ok(flags.length > 0, `${what}: no flags listed\n${help}`);
  for (const line of flags) assert.match(line, /^ {2}--[a-z-]+( \S+)? {2,}\S.*\S$/, `${what}: ${line}`);
}

test('--version prints the package version; --help lists every command with one line saying what it does', async () => {
  const version = await runCli(['--version']);
  assert.deepEqual([version.code, version.stdout, version.stderr], [0, `deepend ${VERSION}\n`, '']);
  assert.equal((await runCli(['-v'])).stdout, `deepend ${VERSION}\n`);
  const help = await runCli(['--help']);
  assert.equal(help.code, 0, help.stderr);
  const commands = help.stdout.split('\n').filter((l) => /^ {2}[a-z]+ {2,}/.test(l));
  assert.deepEqual(
    commands.map((l) => l.trim().split(/\s+/)[0]),
    [
      'train',
      'grow',
      'eval',
      'inspect',
      'demo',
      'policy',
      'start',
      'status',
      'jobs',
      'models',
      'deepen',
      'rollback',
      'cancel',
      'fleet',
    ],
  );
  for (const line of commands) assert.match(line, /^ {2}[a-z]+ {2,}[A-Z].{10,}$/, line);
});

test('COMMAND --help: the usage line, what it does, and each flag with its own line', async () => {
  const grow = await runCli(['grow', '--help']);
  assert.equal(grow.code, 0, grow.stderr);
  assert.match(grow.stdout, /^usage: deepend grow --model PATH --data SRC --to-depth N --method M --out DIR \[/);
  assertEveryFlagDescribed(grow.stdout, 'grow');
  assert.equal((await runCli(['help', 'grow'])).stdout, grow.stdout, 'deepend help grow is deepend grow --help');
  assert.match(grow.stdout, /^ {2}--until-accuracy A {2,}add one block at a time/m);

  const explain = await runCli(['policy', 'explain', '--help']);
  assert.equal(explain.code, 0, explain.stderr);
  assert.match(explain.stdout, /^usage: deepend policy explain \[FILE\] \[--hardware RAW\.json\]/);
  assertEveryFlagDescribed(explain.stdout, 'policy explain');

  const imported = await runCli(['models', 'import', '--help']);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /^usage: deepend models import PATH /);
  assertEveryFlagDescribed(imported.stdout, 'models import');
});

test('fleet rollout --help prints that subcommand only; fleet --help lists the seven', async () => {
  const rollout = await runCli(['fleet', 'rollout', '--help']);
  assert.equal(rollout.code, 0, rollout.stderr);
  assert.match(
    rollout.stdout,
    /^usage: deepend fleet rollout --to-depth N \(--canary PCT \| --waves PCTS\) --max-failures PCT \[--pause DURATION\]/,
  );
  assert.doesNotMatch(rollout.stdout, /fleet (devices|deepen|watch)/);
  assertEveryFlagDescribed(rollout.stdout, 'fleet rollout');
  assert.match(rollout.stdout, /^ {2}--canary PCT {2,}.* \(required unless --resume or --waves\)$/m);

  const fleet = await runCli(['fleet', '--help']);
  assert.equal(fleet.code, 0, fleet.stderr);
  assert.deepEqual(fleet.stdout.match(/^ {2}deepend fleet \w+/gm), [
    '  deepend fleet devices',
    '  deepend fleet deepen',
    '  deepend fleet rollout',
    '  deepend fleet control',
    '  deepend fleet watch',
    '  deepend fleet console',
    '  deepend fleet simulate',
  ]);
});

test('fleet console --help and fleet simulate --help print their own flags, each with its line', async () => {
  const consoleHelp = await runCli(['fleet', 'console', '--help']);
  assert.equal(consoleHelp.code, 0, consoleHelp.stderr);
  assert.match(
    consoleHelp.stdout,
    /^usage: deepend fleet console \[--port PORT\] \[--host ADDR\] \[--token-file FILE\] /,
  );
  assert.doesNotMatch(consoleHelp.stdout, /fleet (devices|deepen|rollout|watch|simulate)/);
  assertEveryFlagDescribed(consoleHelp.stdout, 'fleet console');
  for (const flag of ['port', 'host', 'token-file', 'url', 'fleet', 'config'])
    assert.match(consoleHelp.stdout, new RegExp(`^ {2}--${flag} `, 'm'), flag);

  const simulate = await runCli(['fleet', 'simulate', '--help']);
  assert.equal(simulate.code, 0, simulate.stderr);
  assert.match(simulate.stdout, /^usage: deepend fleet simulate --devices N \[--group G\] \[--fail-rate P\] /);
  assert.doesNotMatch(simulate.stdout, /fleet (devices|deepen|rollout|watch|console)/);
  assertEveryFlagDescribed(simulate.stdout, 'fleet simulate');
  for (const flag of ['devices', 'group', 'fail-rate', 'grow-seconds', 'prefix', 'first', 'for', 'url'])
    assert.match(simulate.stdout, new RegExp(`^ {2}--${flag} `, 'm'), flag);
});

test('usage errors: one line with the command named once, exit 2, nothing else printed', async () => {
  const cases: [string[], string][] = [
    [['demo', '--bogus'], 'deepend demo: unknown option --bogus\n'],
    [
      ['grow', '--model', 'm', '--data', 'mnist', '--to-depth', '3', '--method', 'dils'],
      'deepend grow: --out is required\n',
    ],
    [['demo', '--to-depth', 'abc'], "deepend demo: --to-depth must be a whole number, got 'abc'\n"],
    [
      ['demo', '--method', 'bogus'],
      "deepend demo: unknown growth method 'bogus': use dils, identity, morphism, lookahead, random, auto\n",
    ],
    [
      ['grow', '--model', 'm', '--data', 'mnist', '--to-depth', '3', '--method', 'bogus', '--out', 'o'],
      "deepend grow: unknown growth method 'bogus': use dils, identity, morphism, lookahead, random, auto\n",
    ],
    [['status', '--home'], 'deepend status: --home needs a value\n'],
    [['jobs', '--json=yes'], 'deepend jobs: --json takes no value\n'],
    [['fleet', 'rollout', '--to-depth', '3'], 'deepend fleet: --canary PCT or --waves PCTS is required\n'],
    [['fleet', 'console', '--port', '70000'], 'deepend fleet: --port must be at most 65535, got 70000\n'],
    [['fleet', 'console', '--verbose'], 'deepend fleet: unknown option --verbose\n'],
    [['fleet', 'simulate'], 'deepend fleet: --devices is required\n'],
  ];
  for (const [args, stderr] of cases) {
    const r = await runCli(args);
    assert.deepEqual(
      { code: r.code, stdout: r.stdout, stderr: r.stderr },
      { code: 2, stdout: '', stderr },
      args.join(' '),
    );
  }
});

test('a reader that goes away (`deepend inspect M | head -1`) ends the command quietly: no stack trace', async () => {
  for (let run = 0; run < 3; run++) {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'deepend.js'), 'inspect', DEFAULT_MODEL], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // the reading end closes before the first line is read, as `head` closes it after the lines it wanted
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.deepEqual({ code, stderr }, { code: 0, stderr: '' });
  }
});

test('a reader of stderr that goes away (`deepend ... 2>&1 | head -1`) ends the command with its own exit status', async () => {
  for (let run = 0; run < 3; run++) {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'deepend.js'), 'inspect', join(REPO, 'no-such-model')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    // 1: the missing model; Node's 7 would say the error handler itself failed on the closed pipe
    assert.equal(code, 1);
  }
});

test('a growth that ends well below its parent is written as asked, with a one-line warning that says so on stderr', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'deepend-fell-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const grown = join(out, 'grown');
  // a random new block in the middle and 400 training digits for one epoch: the shipped model loses most of its accuracy
  const r = await runCli(
    ['grow', '--model', DEFAULT_MODEL, '--data', 'mnist', '--data-limit', '500', '--to-depth', '3'].concat([
      '--method',
      'random',
      '--epochs',
      '1',
      '--out',
      grown,
      '--json',
    ]),
  );
  assert.equal(r.code, 0, r.stderr);
  const { accuracyBefore, accuracyAfter } = JSON.parse(r.stdout) as { accuracyBefore: number; accuracyAfter: number };
  assert.ok(accuracyBefore - accuracyAfter >= 0.01, `${accuracyBefore} -> ${accuracyAfter}: no fall to warn of`);
  const warning = r.stderr.trim().split('\n').at(-1) ?? '';
  assert.match(
    warning,
    /^deepend grow: warning: the grown model is \d+\.\d\d points below the model it grew from on the held-out data \(\d+\.\d\d% -> \d+\.\d\d%\); it is written as asked/,
  );
  assert.ok(existsSync(join(grown, 'model.json')));
});
