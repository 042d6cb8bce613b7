import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contractTypesSource, GENERATED_TYPES_FILE } from '../scripts/lib/contract-types';

// The contract's TypeScript types are compiled from its JSON Schemas: a schema
// changed without `npm run gen:types` leaves the types describing another wire.

const ROOT = join(__dirname, '../..');

test('src/contract/generated-types.ts is what the JSON Schemas compile to (run `npm run gen:types` after changing a schema)', async () => {
  const committed = readFileSync(join(ROOT, GENERATED_TYPES_FILE), 'utf8');
  const fresh = await contractTypesSource();
  if (committed === fresh) return;
  const a = committed.split('\n');
  const b = fresh.split('\n');
  const line = a.findIndex((l, i) => l !== b[i]);
  assert.fail(
    `${GENERATED_TYPES_FILE} is stale from line ${line + 1}: has ${JSON.stringify(a[line])}, the schemas give ${JSON.stringify(b[line])}`,
  );
});
