import { selectBackend } from '../../compute/backend';
import { loadDataset } from '../../data/load';
import { computeNormalisation } from '../../data/normalise';
import { splitDataset } from '../../data/split';
import { depthOf } from '../../model/arch';
import { buildModel } from '../../model/build';
import type { Family } from '../../model/arch';
import { assertFamily, familySpec } from '../../model/families';
import { saveModel } from '../../model/io';
import { META_FORMAT } from '../../model/meta';
import { evaluate, trainClassifier } from '../../train/classifier';
import { disposeTensorSet, toTensorSet } from '../../train/tensors';
import { assertWritableTarget } from '../../util/atomic-dir';
import { numberFlag, parseArgs, UsageError } from '../../cli-kit/args';
import { CommandIO, keyValues, pct } from '../../cli-kit/output';
import { ProgressPrinter } from '../progress-bar';
import { TRAIN_SPEC } from '../command-specs';

/** `deepend train`: a model of a family and depth trained from scratch on local data. */
export async function trainCommand(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(TRAIN_SPEC, argv);
  const family = familyFlag(args.values.get('family')!);
  const depth = numberFlag(args, 'depth', { integer: true, min: 1, max: 64 })!;
  const epochs = numberFlag(args, 'epochs', { integer: true, min: 1 });
  const seconds = numberFlag(args, 'seconds', { min: 0.1 });
  const out = args.values.get('out')!;
  assertWritableTarget(out);
  const backend = await selectBackend();
  const data = await loadDataset(args.values.get('data')!);
  const split = splitDataset(data, { seed: numberFlag(args, 'seed', { integer: true }) ?? 42 });
  const norm = computeNormalisation(split.train);
  const spec = familySpec({
    family,
    depth,
    inputShape: data.inputShape,
    classes: data.classes.length,
    width: numberFlag(args, 'width', { integer: true, min: 1, max: 1024 }),
    batchNorm: args.switches.has('batch-norm'),
  });
  const model = buildModel(spec, numberFlag(args, 'init-seed', { integer: true }));
  const train = toTensorSet(split.train, norm, data.classes.length);
  const validation = toTensorSet(split.validation, norm, data.classes.length);
  const test = toTensorSet(split.test, norm, data.classes.length);
  const progress = new ProgressPrinter(io.err, io.json);
  try {
    const started = performance.now();
    const result = await trainClassifier(model, train, {
      stage: 'train',
      budget: { epochs: epochs ?? (seconds === undefined ? 5 : undefined), seconds },
      batchSize: numberFlag(args, 'batch', { integer: true, min: 1 }),
      learningRate: numberFlag(args, 'lr', { min: 0 }),
      seed: numberFlag(args, 'init-seed', { integer: true }) ?? 1,
      validation,
      onProgress: progress.onProgress,
      signal: io.signal,
    });
    progress.finish();
    const heldOut = evaluate(model, test);
    const meta = await saveModel(
      model,
      {
        format: META_FORMAT,
        name: args.values.get('name') ?? `${family}-${depth}`,
        family,
        depth: depthOf(spec),
        arch: spec,
        inputShape: data.inputShape,
        labels: data.classes,
        normalisation: norm,
        parent: null,
        growth: [],
        metrics: {
          accuracy: heldOut.accuracy,
          loss: heldOut.loss,
          splitFingerprint: split.fingerprint,
          data: data.source,
        },
        createdAt: new Date().toISOString(),
        backend: backend.name,
      },
      out,
    );
    const summary = {
      out,
      family,
      depth,
      accuracy: heldOut.accuracy,
      loss: heldOut.loss,
      epochs: result.epochs.length,
      seconds: (performance.now() - started) / 1000,
      parameters: meta.parameters,
      backend: backend.name,
      weightsSha256: meta.weightsSha256,
      split: { fingerprint: split.fingerprint, counts: split.counts },
    };
    if (io.json) io.out(JSON.stringify(summary));
    else
      io.out(
        keyValues([
          ['model', out],
          ['family', family],
          ['depth', depth],
          ['held-out accuracy', pct(heldOut.accuracy)],
          ['epochs', result.epochs.length],
          ['seconds', summary.seconds.toFixed(1)],
          ['parameters', meta.parameters],
          ['backend', backend.name],
        ]),
      );
    return 0;
  } finally {
    progress.finish();
    model.dispose();
    [train, validation, test].forEach(disposeTensorSet);
  }
}

function familyFlag(name: string): Family {
  try {
    return assertFamily(name);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
