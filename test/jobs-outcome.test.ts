import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCommit, displayKind } from '../src/jobs/outcome';

test('a succeeded job in words: accuracies, the change in points and the version; a swap back or an import says so', () => {
  const upgrade = (result: Record<string, unknown> | null) => describeCommit({ kind: 'upgrade', request: {}, result });
  assert.equal(
    upgrade({ version: 2, accuracyBefore: 0.9715, accuracyAfter: 0.9775 }),
    '97.15% -> 97.75% (+0.60), committed as v2',
  );
  assert.equal(
    upgrade({ version: 5, accuracyBefore: 0.9, accuracyAfter: 0.899 }),
    '90.00% -> 89.90% (-0.10), committed as v5',
  );
  assert.equal(upgrade({ version: 3 }), 'committed as v3');
  assert.equal(upgrade(null), undefined);
  assert.equal(
    describeCommit({ kind: 'rollback', request: { version: 1 }, result: { version: 1, rollback: true } }),
    'back to v1',
  );
  assert.equal(
    describeCommit({ kind: 'rollback', request: { reason: 'import' }, result: { version: 4, rollback: true } }),
    'imported as v4',
  );
});

test("a job's kind as `deepend jobs` and the daemon log show it: the swap to an imported version is an import", () => {
  assert.equal(displayKind({ kind: 'rollback', request: { reason: 'import', version: 4 } }), 'import');
  assert.equal(displayKind({ kind: 'rollback', request: { version: 1 } }), 'rollback');
  assert.equal(displayKind({ kind: 'upgrade', request: { reason: 'import' } }), 'upgrade');
});
