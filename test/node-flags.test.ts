// The daemon's Node flags (V8's memory-saving mode) are where the daemon is started from: npm start and the systemd
// unit; the helpers keep them off a growth process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { childExecArgv, DAEMON_NODE_FLAGS, hasDaemonNodeFlags } from '../src/util/node-flags';
import { REPO } from './helpers/cli';

test("npm start and daemon/deepend.service start node with the daemon's flags, before the script", () => {
  const start = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).scripts.start as string;
  const unit = readFileSync(join(REPO, 'daemon', 'deepend.service'), 'utf8');
  const execStart = unit.split('\n').find((l) => l.startsWith('ExecStart='));
  for (const [what, line] of [
    ['npm start', start],
    ['ExecStart', execStart ?? ''],
  ]) {
    const words = line.split(/\s+/);
    const script = words.findIndex((w) => w.endsWith('bin/deepend.js'));
    assert.ok(script > 0, `${what}: ${line}`);
    for (const flag of DAEMON_NODE_FLAGS) {
      const at = words.indexOf(flag);
      assert.ok(at > 0 && at < script, `${what} gives node ${flag} before the script: ${line}`);
    }
  }
});

test("the flags are recognised on a command line and taken off for a child that trains, with any -e CODE (fork's default drops only that)", () => {
  assert.ok(hasDaemonNodeFlags(['--expose-gc', ...DAEMON_NODE_FLAGS]));
  assert.ok(!hasDaemonNodeFlags(['--expose-gc']));
  assert.deepEqual(childExecArgv(['--expose-gc', ...DAEMON_NODE_FLAGS, '--trace-warnings']), [
    '--expose-gc',
    '--trace-warnings',
  ]);
  assert.deepEqual(childExecArgv([...DAEMON_NODE_FLAGS, '-e', 'fork()', '--eval=fork()', '--expose-gc']), [
    '--expose-gc',
  ]);
  // a combined -pe takes the next argument as code too; V8's underscore spelling is the same flag
  assert.deepEqual(childExecArgv(['--optimize_for_size', '-pe', 'fork()', '--expose-gc']), ['--expose-gc']);
  assert.ok(hasDaemonNodeFlags(['--optimize_for_size']));
  // given a value, the flag is V8's to read (=false turns the mode off): not the daemon's
  assert.ok(!hasDaemonNodeFlags(['--optimize-for-size=false']));
  assert.equal(childExecArgv(['--optimize-for-size=false', '--expose-gc']), undefined);
  assert.deepEqual(childExecArgv(['--stack-size=900', '--optimize-for-size', '--max_old_space_size=300']), [
    '--stack-size=900',
    '--max_old_space_size=300',
  ]);
  // without the daemon's flags: fork's own default, which knows what to drop
  assert.equal(childExecArgv(['-e', 'fork()']), undefined);
});
