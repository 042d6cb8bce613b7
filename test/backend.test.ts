import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseForcedBackend } from '../src/compute/backend';

const REPO = join(__dirname, '../..');

function backendIn(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const script = `require('${join(REPO, 'dist/src/compute/backend.js')}').selectBackend().then((b) => console.log(JSON.stringify(b)), (e) => { console.error(e.message); process.exit(1); })`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('DEEPEND_BACKEND names are checked', () => {
  assert.equal(parseForcedBackend(undefined), undefined);
  assert.equal(parseForcedBackend('auto'), undefined);
  assert.equal(parseForcedBackend('WASM'), 'wasm');
  assert.equal(parseForcedBackend('native'), 'tensorflow');
  assert.throws(() => parseForcedBackend('cuda'), /DEEPEND_BACKEND=cuda is not a backend/);
});

test('without a native package the best backend is wasm, and the skipped ones say why', () => {
  const r = backendIn({ DEEPEND_BACKEND: '' });
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  let nativeInstalled = true;
  try {
    require.resolve('@tensorflow/tfjs-node');
  } catch {
    nativeInstalled = false;
  }
  if (nativeInstalled) {
    assert.equal(info.name, 'tensorflow');
  } else {
    assert.equal(info.name, 'wasm');
    assert.ok(
      info.skipped.some((s: string) => s.includes('@tensorflow/tfjs-node')),
      JSON.stringify(info.skipped),
    );
  }
});

test('DEEPEND_BACKEND=cpu forces the plain JS backend; an unavailable one is a one-line error', () => {
  const cpu = backendIn({ DEEPEND_BACKEND: 'cpu' });
  assert.equal(cpu.status, 0, cpu.stderr);
  assert.equal(JSON.parse(cpu.stdout).name, 'cpu');
  let nativeInstalled = true;
  try {
    require.resolve('@tensorflow/tfjs-node');
  } catch {
    nativeInstalled = false;
  }
  if (!nativeInstalled) {
    const native = backendIn({ DEEPEND_BACKEND: 'tensorflow' });
    assert.equal(native.status, 1);
    assert.match(
      native.stderr.trim(),
      /^backend 'tensorflow' is not available: @tensorflow\/tfjs-node-gpu: Cannot find module/,
    );
    assert.equal(native.stderr.trim().split('\n').length, 1);
  }
});
