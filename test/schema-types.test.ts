import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_TYPES, generatedTypesSource } from '../scripts/lib/schema-types';
import { GENERATED_VALIDATORS, generatedValidatorsSource } from '../scripts/lib/schema-validators';

// The contract's, the policy file's and the config file's TypeScript types are
// compiled from their JSON Schemas: a schema changed without `npm run
// gen:types` leaves the types describing something else than what is checked.
// The validators are compiled from the same schemas ahead of time (ajv's
// standalone code), and a stale one would check the old schema.

const ROOT = join(__dirname, '../..');

for (const g of GENERATED_TYPES) {
  test(`${g.file} is what ${g.from} compiles to (run \`npm run gen:types\` after changing a schema)`, async () => {
    const committed = readFileSync(join(ROOT, g.file), 'utf8');
    const fresh = await generatedTypesSource(g);
    if (committed === fresh) return;
    const a = committed.split('\n');
    const b = fresh.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    assert.fail(
      `${g.file} is stale from line ${line + 1}: has ${JSON.stringify(a[line])}, the schema gives ${JSON.stringify(b[line])}`,
    );
  });
}

for (const g of GENERATED_VALIDATORS) {
  test(`${g.file} is what ${g.from} compiles to with ajv (run \`npm run gen:types\` after changing a schema)`, () => {
    const committed = readFileSync(join(ROOT, g.file), 'utf8');
    const fresh = generatedValidatorsSource(g);
    if (committed === fresh) return;
    const at = [...committed].findIndex((c, i) => c !== fresh[i]);
    assert.fail(
      `${g.file} is stale from character ${at}: the schema gives ${JSON.stringify(fresh.slice(at, at + 80))}`,
    );
  });
}
