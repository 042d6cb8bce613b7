import { test } from 'node:test';
import assert from 'node:assert/strict';
import { knownVariables, unknownVariables } from '../src/daemon/unknown-variables';
import { closestName } from '../src/util/closest-name';

test('DEEPEND_* variables the daemon does not read are named, with the closest known one within three edits', () => {
  assert.deepEqual(
    unknownVariables({
      DEEPEND_HTTP_PROT: '8080',
      DEEPEND_HOME: '/tmp/x',
      DEEPEND_BACKEND: 'wasm',
      DEEPEND_HARDWARE_FIXTURE: 'f.json',
      DEEPEND_COLOUR: 'blue',
      PATH: '/usr/bin',
      DEEPEND_MQTT_PASWORD: 'x',
    }),
    [
      { name: 'DEEPEND_COLOUR' },
      { name: 'DEEPEND_HTTP_PROT', meant: 'DEEPEND_HTTP_PORT' },
      { name: 'DEEPEND_MQTT_PASWORD', meant: 'DEEPEND_MQTT_PASSWORD' },
    ],
  );
  const known = knownVariables();
  for (const name of [
    'DEEPEND_LOG_LEVEL',
    'DEEPEND_DATA_LIMIT',
    'DEEPEND_CRASH_AT',
    'DEEPEND_PAUSE_AT',
    'DEEPEND_WEBGPU_PROBE',
  ])
    assert.ok(known.has(name), name);
  assert.equal(closestName('abc', ['abd', 'xyz']), 'abd');
  assert.equal(closestName('abcdefgh', ['zzzzzzzz']), undefined);
});
