// npm run gen:types: writes the TypeScript types compiled from deepend's JSON Schemas (scripts/lib/schema-types.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_TYPES, generatedTypesSource } from './lib/schema-types';

async function main(): Promise<void> {
  for (const g of GENERATED_TYPES) {
    writeFileSync(join(__dirname, '../..', g.file), await generatedTypesSource(g));
    console.log(`wrote ${g.file}`);
  }
}

main().catch((err: Error) => {
  console.error(`gen:types: ${err.message}`);
  process.exit(1);
});
