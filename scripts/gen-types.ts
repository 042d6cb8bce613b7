// npm run gen:types: writes the TypeScript types (scripts/lib/schema-types.ts) and the ajv validators
// (scripts/lib/schema-validators.ts) compiled from deepend's JSON Schemas.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_TYPES, generatedTypesSource } from './lib/schema-types';
import { GENERATED_VALIDATORS, generatedValidatorsSource } from './lib/schema-validators';

async function main(): Promise<void> {
  for (const g of GENERATED_TYPES) {
    writeFileSync(join(__dirname, '../..', g.file), await generatedTypesSource(g));
    console.log(`wrote ${g.file}`);
  }
  for (const g of GENERATED_VALIDATORS) {
    writeFileSync(join(__dirname, '../..', g.file), generatedValidatorsSource(g));
    console.log(`wrote ${g.file}`);
  }
}

main().catch((err: Error) => {
  console.error(`gen:types: ${err.message}`);
  process.exit(1);
});
