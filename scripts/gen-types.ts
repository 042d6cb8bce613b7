// npm run gen:types: writes src/contract/generated-types.ts from the contract's JSON Schemas.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contractTypesSource, GENERATED_TYPES_FILE } from './lib/contract-types';

async function main(): Promise<void> {
  const path = join(__dirname, '../..', GENERATED_TYPES_FILE);
  writeFileSync(path, await contractTypesSource());
  console.log(`wrote ${GENERATED_TYPES_FILE}`);
}

main().catch((err: Error) => {
  console.error(`gen:types: ${err.message}`);
  process.exit(1);
});
