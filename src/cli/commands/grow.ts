import { selectBackend } from '../../compute/backend';
import { depthOf } from '../../model/arch';
import { lossToRecord, saveModel } from '../../model/io';
import { artifactsOf, kerasFileBytes } from '../../model/formats';
import { openModelWithData } from '../../model/open';
import { dataLimitOf, importFlagsOf } from '../model-flags';
import { childMeta } from '../../grow/child-meta';
import { checkMethodChoice } from '../../grow/methods';
import { MethodChoice } from '../../growth-methods';
import { newBlocksNeeded } from '../../grow/planner';
import { GrowReport } from '../../grow/report';
import { grow, GrowBudget } from '../../grow/run';
import { growUntil } from '../../grow/until';
import { learningCurveSvg } from '../../report/learning-curve-svg';
import { growthPicture } from '../../report/growth-picture';
import { assertWritableTarget } from '../../util/atomic-dir';
import { numberFlag, parseArgs, UsageError } from '../../cli-kit/args';
import { pendingLowestErrorPlan } from '../../grow/dils/placement';
import { CommandIO, keyValues, pct } from '../../cli-kit/output';
import { ProgressPrinter } from '../progress-bar';
import { GROW_SPEC } from '../command-specs';

/** The Keras 3 file `--format keras` writes beside the TF.js files. */
export const KERAS_FILE = 'model.keras';

/** The fields `--json` prints: the report without its bulky curves and spec. */
export function growSummary(report: GrowReport, out: string): Record<string, unknown> {
  const { curves: _curves, spec: _spec, ...summary } = report;
  return { out, ...summary };
}

/** `deepend grow`: deepen a saved model on local data and save the grown model beside its report and learning curve. */
export async function growCommand(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(GROW_SPEC, argv);
  const methodName = methodFlag(args.values.get('method')!);
  const toDepth = numberFlag(args, 'to-depth', { integer: true, min: 1 })!;
  const seconds = numberFlag(args, 'budget-seconds', { min: 1 });
  const epochs = numberFlag(args, 'epochs', { integer: true, min: 1 });
  const untilAccuracy = numberFlag(args, 'until-accuracy', { min: 0, max: 1 });
  const placement = args.values.get('placement') ?? 'spread';
  if (placement !== 'spread' && placement !== 'lowest-error')
    throw new UsageError(`--placement must be spread or lowest-error, got '${placement}'`);
  if (placement === 'lowest-error' && methodName !== 'dils')
    throw new UsageError(`--placement lowest-error scores sites by the DILS Stage I error: use it with --method dils`);
  if (placement === 'lowest-error' && untilAccuracy !== undefined)
    throw new UsageError(
      '--placement lowest-error and --until-accuracy cannot be combined yet: grow-until adds one block per step where DILS is spread',
    );
  const format = args.values.get('format') ?? 'tfjs';
  if (format !== 'tfjs' && format !== 'keras') throw new UsageError(`--format must be tfjs or keras, got '${format}'`);
  const flags = importFlagsOf(args);
  const out = args.values.get('out')!;
  assertWritableTarget(out);

  const backend = await selectBackend();
  const { loaded: parent, split } = await openModelWithData(
    args.values.get('model')!,
    args.values.get('data')!,
    flags,
    backend.name,
    {
      seed: numberFlag(args, 'seed', { integer: true }) ?? 42,
    },
    dataLimitOf(args),
  );
  newBlocksNeeded(parent.meta.arch, toDepth);
  const budget: GrowBudget = { seconds, epochs: epochs ?? (seconds === undefined ? 3 : undefined) };
  const progress = new ProgressPrinter(io.err, io.json);
  const common = {
    parent,
    method: methodName,
    split,
    budget,
    batchSize: numberFlag(args, 'batch', { integer: true, min: 1 }),
    learningRate: numberFlag(args, 'lr', { min: 0 }),
    backend: backend.name,
    onProgress: progress.onProgress,
    signal: io.signal,
  };
  let report: GrowReport;
  let model: Awaited<ReturnType<typeof grow>>['model'];
  let steps: GrowReport[] | undefined;
  try {
    if (untilAccuracy !== undefined) {
      const result = await growUntil({ ...common, maxDepth: toDepth, untilAccuracy });
      progress.note(`grow-until stopped by ${result.stoppedBy} after ${result.steps.length} step(s)`);
      ({ report, model } = result);
      steps = result.steps;
    } else {
      // a depth-0 head has one place to grow, after the hidden layer it first gets (grow/seed.ts)
      const plan =
        placement === 'lowest-error' && depthOf(parent.meta.arch) > 0
          ? pendingLowestErrorPlan(parent.meta.arch, toDepth)
          : undefined;
      ({ report, model } = await grow({ ...common, toDepth, plan }));
    }
  } finally {
    progress.finish();
  }
  try {
    const full = steps ? { ...report, untilSteps: steps.map((s) => growSummary(s, out)) } : report;
    // grow-until's title spans every step: from the parent's depth, not the last step's
    const svg = learningCurveSvg({
      ...growthPicture(report),
      title: `${report.method}: depth ${depthOf(parent.meta.arch)} → ${report.depthAfter}, held-out ${pct(report.accuracyBefore)} → ${pct(report.accuracyAfter)}`,
    });
    const loss = lossToRecord(model, parent.meta.arch);
    const keras: Record<string, Uint8Array> =
      format === 'keras' ? { [KERAS_FILE]: await kerasFileBytes(await artifactsOf(model), loss) } : {};
    await saveModel(model, childMeta(parent.meta, report, args.values.get('name')), out, {
      'report.json': JSON.stringify(full, null, 2) + '\n',
      'learning-curve.svg': svg,
      ...keras,
    });
  } finally {
    model.dispose();
    parent.model.dispose();
  }
  if (io.json) io.out(JSON.stringify(growSummary(report, out)));
  else {
    io.out(
      keyValues([
        ['model', out],
        ['method', report.methodReason ? `${report.method} (${report.methodReason})` : report.method],
        ['depth', `${report.depthBefore} -> ${report.depthAfter}`],
        ['held-out accuracy before', pct(report.accuracyBefore)],
        ['after insertion', pct(report.accuracyAfterInsertion)],
        ['after fine-tuning', pct(report.accuracyAfter)],
        ['seconds', report.seconds.toFixed(1)],
        ['parameters', `${report.parametersBefore} -> ${report.parameters}`],
        ['backend', report.backend],
        ['placement', report.plan.reason],
      ]),
    );
  }
  const fell = report.accuracyBefore - report.accuracyAfter;
  if (fell >= FELL_WARNING_POINTS / 100)
    io.err.write(
      `deepend grow: warning: the grown model is ${(fell * 100).toFixed(2)} points below the model it grew from on the held-out data (${pct(report.accuracyBefore)} -> ${pct(report.accuracyAfter)}); it is written as asked, but the shipped policy's gate would not commit it: more --epochs or another --method may do better\n`,
    );
  return 0;
}

/** A growth that ends this many points (or more) below its parent is worth a warning: short training, or a poor start. */
const FELL_WARNING_POINTS = 1;

/** --method: a growth method or auto; anything else is a usage error. */
export function methodFlag(name: string): MethodChoice {
  try {
    return checkMethodChoice(name);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
