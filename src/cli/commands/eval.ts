import { selectBackend } from '../../compute/backend';
import { openModelWithData } from '../../model/open';
import { dataLimitOf, importFlagsOf } from '../model-flags';
import { evaluate } from '../../train/classifier';
import { disposeTensorSet, toTensorSet } from '../../train/tensors';
import { numberFlag, parseArgs } from '../../cli-kit/args';
import { CommandIO, keyValues, pct } from '../../cli-kit/output';
import { EVAL_SPEC } from '../command-specs';

/** `deepend eval`: held-out accuracy of a saved model on the same seeded split grow uses. */
export async function evalCommand(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(EVAL_SPEC, argv);
  const backend = await selectBackend();
  const { loaded, split, notGrowable } = await openModelWithData(
    args.values.get('model')!,
    args.values.get('data')!,
    importFlagsOf(args),
    backend.name,
    {
      seed: numberFlag(args, 'seed', { integer: true }) ?? 42,
    },
    dataLimitOf(args),
    'evaluate',
  );
  const { meta } = loaded;
  const test = toTensorSet(split.test, meta.normalisation, meta.labels.length, meta.arch.output, meta.inputShape);
  try {
    const started = performance.now();
    const result = evaluate(loaded.model, test);
    const summary = {
      model: loaded.dir,
      family: loaded.meta.family,
      depth: notGrowable ? null : loaded.meta.depth,
      ...(notGrowable ? { notGrowable } : {}),
      accuracy: result.accuracy,
      loss: result.loss,
      samples: result.count,
      split: { fingerprint: split.fingerprint, counts: split.counts, heldOut: 'test' },
      seconds: (performance.now() - started) / 1000,
      backend: backend.name,
      parameters: loaded.model.countParams(),
    };
    if (io.json) io.out(JSON.stringify(summary));
    else
      io.out(
        keyValues([
          ['model', loaded.dir],
          ['family', loaded.meta.family],
          ['depth', notGrowable ? `- (not growable as it is: ${notGrowable})` : loaded.meta.depth],
          ['held-out accuracy', pct(result.accuracy)],
          ['loss', result.loss.toFixed(4)],
          ['samples', result.count],
          ['backend', backend.name],
        ]),
      );
    return 0;
  } finally {
    disposeTensorSet(test);
    loaded.model.dispose();
  }
}
