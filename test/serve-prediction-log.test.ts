import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PredictionLog } from '../src/serve/prediction-log';

test('the prediction log keeps the newest answers within its request and instance bounds', () => {
  const log = new PredictionLog(3, 10);
  for (let k = 0; k < 5; k++) log.record(`r${k}`, { version: 1, classes: [k] });
  assert.deepEqual(
    ['r0', 'r1', 'r2', 'r3', 'r4'].map((id) => log.get(id)?.classes[0] ?? null),
    [null, null, 2, 3, 4],
  );
  // a big request pushes old ones out by their instances, not their count
  log.record('big', { version: 2, classes: Array(9).fill(1) });
  assert.equal(log.size, 2);
  assert.equal(log.get('r4')?.classes[0], 4);
  assert.equal(log.get('big')?.version, 2);
  // one larger than the whole log is not kept, and drops nothing
  log.record('huge', { version: 2, classes: Array(11).fill(1) });
  assert.equal(log.get('huge'), undefined);
  assert.equal(log.size, 2);
  // the same id again replaces its entry
  log.record('r4', { version: 3, classes: [7] });
  assert.equal(log.get('r4')?.version, 3);
  assert.equal(log.size, 2);
});
