// npm run bench:import [-- --seconds S]
// Users' models as they bring them (a converter export, a Keras .keras file, a transfer-learning export with a
// frozen backbone and logits, an ELU MLP with a sigmoid on CSV data, nsfwjs's MobileNetV2): import + inspect,
// identity insertion checked against the original through a plain-tfjs reload, then dils and identity growth at
// one budget. Prints a table and writes bench-results/import.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../src/compute/backend';
import { grow } from '../src/grow/run';
import { identityMethod } from '../src/grow/methods/identity';
import { spreadPlan } from '../src/grow/planner';
import { childMeta } from '../src/grow/child-meta';
import { artifactsOf, kerasFileBytes, layersModelFiles } from '../src/model/formats';
import { saveModel } from '../src/model/io';
import { composeWithFrozen } from '../src/model/keras/frozen';
import { growthParts } from '../src/model/keras/parts';
import { ImportFlags, openModelWithData } from '../src/model/open';
import { tf, tfl } from '../src/tf';
import { toTensorSet } from '../src/train/tensors';
import { option, printTable, writeResults } from './lib/table';
import {
  backboneLogits,
  blobsMlp,
  fitOnDigits,
  freezeBackbone,
  loadPlain,
  mnistCnn,
  writeBlobsCsv,
  writeLabelledPictures,
} from './lib/user-models';

interface Fixture {
  name: string;
  path: string;
  data: string;
  flags: ImportFlags;
  toDepth: (depth: number) => number;
}

async function writeFiles(dir: string, files: Record<string, Uint8Array>): Promise<string> {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

async function fixtures(root: string): Promise<Fixture[]> {
  const cnn = mnistCnn();
  await fitOnDigits(cnn);
  const cnnArtifacts = await artifactsOf(cnn);
  const cnnDir = await writeFiles(
    join(root, 'cnn'),
    layersModelFiles(cnnArtifacts, { shardBytes: 12 * 1024, convertedBy: 'bench' }),
  );
  const kerasFile = join(root, 'cnn.keras');
  writeFileSync(kerasFile, await kerasFileBytes(cnnArtifacts));
  const transfer = backboneLogits();
  await fitOnDigits(transfer, { logits: true, epochs: 3 });
  const transferDir = await writeFiles(
    join(root, 'transfer'),
    layersModelFiles(await artifactsOf(freezeBackbone(transfer))),
  );
  const csv = join(root, 'blobs.csv');
  writeBlobsCsv(csv, 1000);
  const blobsDir = await writeFiles(join(root, 'blobs'), layersModelFiles(await artifactsOf(await blobsMlp(csv))));
  const { writeNsfwjsFixture } = await import('../test/helpers/nsfwjs-fixture');
  const nsfwjs = writeNsfwjsFixture(join(root, 'nsfwjs'));
  const labels = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];
  const mobilenet = await loadPlain(nsfwjs);
  writeLabelledPictures(mobilenet, join(root, 'pictures'), labels, 120);
  mobilenet.dispose();
  [cnn, transfer].forEach((m) => {
    m.dispose();
  });
  return [
    { name: 'mnist CNN (converter dir, 3 shards)', path: cnnDir, data: 'mnist', flags: {}, toDepth: (d) => d + 2 },
    { name: 'mnist CNN (.keras)', path: kerasFile, data: 'mnist', flags: {}, toDepth: (d) => d + 2 },
    { name: 'frozen backbone + logits, [28,28]', path: transferDir, data: 'mnist', flags: {}, toDepth: (d) => d + 1 },
    { name: 'ELU MLP + 1-unit sigmoid, CSV', path: blobsDir, data: csv, flags: {}, toDepth: (d) => d + 1 },
    {
      name: 'nsfwjs MobileNetV2 head',
      path: nsfwjs,
      data: join(root, 'pictures'),
      flags: { freezeThrough: 'out_relu', labels },
      toDepth: (d) => d + 1,
    },
  ];
}

const maxDiff = (a: tfl.LayersModel, b: tfl.LayersModel, x: tf.Tensor) =>
  tf.tidy(() => tf.max(tf.abs(tf.sub(a.predict(x) as tf.Tensor, b.predict(x) as tf.Tensor))).dataSync()[0]);

async function run(): Promise<void> {
  const seconds = Number(option('seconds', 'BENCH_SECONDS', '15'));
  const backend = await selectBackend();
  const root = mkdtempSync(join(tmpdir(), 'deepend-bench-import-'));
  const rows: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];
  try {
    for (const f of await fixtures(root)) {
      const started = performance.now();
      const { loaded, split } = await openModelWithData(f.path, f.data, f.flags, backend.name);
      const importSeconds = (performance.now() - started) / 1000;
      const { meta } = loaded;
      const test = toTensorSet(split.test, meta.normalisation, meta.labels.length, meta.arch.output, meta.inputShape);
      const x = tf.slice(test.x, 0, Math.min(64, test.count));
      const original = await loadPlain(
        f.path.endsWith('.keras')
          ? await writeFiles(join(root, `${f.name.length}-plain`), layersModelFiles(await artifactsOf(loaded.model)))
          : f.path,
      );
      // identity insertion, reloaded by plain tfjs, against the original on the same inputs
      let identityDiff: number | string = 'refused';
      let identityRefusal: string | undefined;
      try {
        const { head, frozen } = growthParts(loaded);
        const init = await identityMethod.initialise({
          parent: head,
          parentSpec: meta.arch,
          plan: spreadPlan(meta.arch, f.toDepth(meta.depth)),
          data: { train: test, validation: test },
          budget: { epochs: 1 },
          batchSize: 64,
          learningRate: 1e-3,
          seed: 1,
        });
        const whole = frozen ? await composeWithFrozen(frozen, init.model, loaded.model.name) : init.model;
        const dir = join(root, `identity-${results.length}`);
        await saveModel(whole, { ...meta, arch: init.spec, depth: init.spec.blocks.length }, dir);
        const reloaded = await loadPlain(dir);
        identityDiff = maxDiff(original, reloaded, x);
        reloaded.dispose();
        whole.dispose();
        if (whole !== init.model) init.model.dispose();
        if (head !== loaded.model) head.dispose();
      } catch (err) {
        identityDiff = 'refused';
        identityRefusal = (err as Error).message;
      }
      for (const method of ['dils', 'identity'] as const) {
        let report: Awaited<ReturnType<typeof grow>>['report'];
        let reloadDiff = NaN;
        let growSeconds = NaN;
        try {
          const t0 = performance.now();
          const result = await grow({
            parent: loaded,
            method,
            toDepth: f.toDepth(meta.depth),
            split,
            budget: { seconds },
            backend: backend.name,
          });
          growSeconds = (performance.now() - t0) / 1000;
          report = result.report;
          const dir = join(root, `${method}-${results.length}`);
          await saveModel(result.model, childMeta(meta, report), dir);
          const reloaded = await loadPlain(dir);
          reloadDiff = maxDiff(result.model, reloaded, x);
          reloaded.dispose();
          result.model.dispose();
        } catch (err) {
          rows.push([
            f.name,
            method,
            `${meta.depth}`,
            'refused',
            '-',
            '-',
            '-',
            importSeconds.toFixed(2),
            String(identityDiff),
            '-',
          ]);
          results.push({ fixture: f.name, method, refused: (err as Error).message });
          continue;
        }
        rows.push([
          f.name,
          method,
          `${report.depthBefore}->${report.depthAfter}`,
          (report.accuracyBefore * 100).toFixed(2),
          (report.accuracyAfterInsertion * 100).toFixed(2),
          (report.accuracyAfter * 100).toFixed(2),
          growSeconds.toFixed(1),
          importSeconds.toFixed(2),
          typeof identityDiff === 'number' ? identityDiff.toExponential(1) : identityDiff,
          reloadDiff.toExponential(1),
        ]);
        results.push({
          fixture: f.name,
          format: meta.origin?.format,
          frozenThrough: meta.frozenThrough ?? null,
          method,
          depthBefore: report.depthBefore,
          depthAfter: report.depthAfter,
          accuracyBefore: report.accuracyBefore,
          accuracyAfterInsertion: report.accuracyAfterInsertion,
          accuracyAfter: report.accuracyAfter,
          seconds: growSeconds,
          importSeconds,
          identityInsertionMaxDiff: identityDiff,
          identityRefusal,
          reloadMaxDiff: reloadDiff,
          heldOut: split.counts.test,
        });
      }
      x.dispose();
      original.dispose();
      loaded.model.dispose();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  console.log(`bench:import  backend=${backend.name}  budget ${seconds}s per growth`);
  printTable(
    [
      'model',
      'method',
      'depth',
      'before %',
      'after insertion %',
      'after %',
      'grow s',
      'import s',
      'identity max|diff|',
      'reload max|diff|',
    ],
    rows,
  );
  console.log(`wrote ${writeResults('import', { backend: backend.name, seconds, results })}`);
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
