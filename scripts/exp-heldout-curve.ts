// Diagnostic, not a benchmark: the held-out accuracy along Stage II of the default upgrade
// (dils 2 -> 4, 60 s), measured by using the held-out part as the validation part and keeping
// the last weights, so the curve shows whether Stage II overfits or the checkpoint choice is noise.
import { resolve, join } from 'node:path';
import { selectBackend } from '../src/compute/backend';
import { grow } from '../src/grow/run';
import { loadModel } from '../src/model/io';
import { growthCases, parentAndSplit } from './lib/growth-cases';
import { option } from './lib/table';

async function main() {
  const seeds = option('seeds', 'X', '1011,1012,1013').split(',').map(Number);
  const seconds = Number(option('seconds', 'X', '60'));
  const lr = option('lr', 'X', '');
  const workDir = resolve(join(__dirname, '../../.bench-work/growth'));
  const backend = (await selectBackend()).name;
  const [c] = growthCases(['mnist'], workDir);
  for (const seed of seeds) {
    const { dir, split } = await parentAndSplit(c, seed, workDir, backend);
    const parent = await loadModel(dir);
    const { model, report } = await grow({
      parent,
      method: 'dils',
      toDepth: 4,
      split: { ...split, validation: split.test },
      budget: { seconds },
      seed,
      backend,
      learningRate: lr ? Number(lr) : undefined,
      stage2: { keep: 'last' },
    });
    model.dispose();
    parent.model.dispose();
    const s2 = report.curves.find((k) => k.stage === 'stage2');
    const pts = (s2?.checkpoints ?? []).map((p) => `${p.steps}:${(p.validationAccuracy * 100).toFixed(2)}`);
    console.log(
      `split ${seed} before ${(report.accuracyBefore * 100).toFixed(2)} after ${(report.accuracyAfter * 100).toFixed(2)} | ${pts.join(' ')}`,
    );
  }
}
void main();
