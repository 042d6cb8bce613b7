import type { DataSplit } from '../data/types';
import { assertHeldOut } from '../data/split';
import { ArchSpec, depthOf } from '../model/arch';
import { LoadedModel } from '../model/io';
import { Budget } from '../train/budget';
import { DEFAULT_BATCH, Evaluation, evaluate, evaluateEach } from '../train/classifier';
import { runStage2, Stage2Options, Stage2Run } from './stage2';
import { runStage2OnWebGpu } from './stage2-webgpu';
import { requestDevice } from '../compute/webgpu/dawn';
import { firstLine } from '../util/deepend-error';
import { planOf } from '../train/webgpu/plan';
import { ProgressCallback, throwIfAborted } from '../train/progress';
import { disposeTensorSet, TensorSet, toTensorSet } from '../train/tensors';
import type { Dataset } from '../data/types';
import { growthParts } from '../model/keras/parts';
import { composeWithFrozen, frozenFeatures } from '../model/keras/frozen';
import { ModelMeta } from '../model/meta';
import { describeContract } from '../model/input-contract';
import { checkParentAboveChance } from './preflight';
import { tf, tfl } from '../tf';
import { methodByName } from './methods';
import { newBlocksNeeded, spreadPlan } from './planner';
import { BaselineName, GrowthMethodName, Initialised, InsertionPlan, MethodChoice, StageCurve } from './types';
import { AutoRace } from './auto';
import { AngleStopRule } from '../train/angle-stop';
import { GrowReport } from './report';
import { correctFlags, heldOutPairs } from './held-out-pairs';
import { SeededHead, seedHiddenLayer } from './seed';

export interface GrowBudget {
  /** Stage II epochs (and, for `scratch`/`continue`, the whole run). */
  epochs?: number;
  /** Wall seconds for the whole growth: initialisation plus Stage II. */
  seconds?: number;
  /** Budget of the method's initialisation phase; default 2 epochs, or a quarter of `seconds`. */
  init?: Budget;
}

export interface GrowRequest {
  parent: LoadedModel;
  method: MethodChoice | BaselineName;
  toDepth: number;
  split: DataSplit;
  budget: GrowBudget;
  /** Default: spread over the existing blocks. A method may re-plan (DILS's lowest-error). */
  plan?: InsertionPlan;
  batchSize?: number;
  /** Stage II's peak learning rate, lower than from-scratch training. */
  learningRate?: number;
  /** Stage II's schedule, which weights it hands back (`keep`) and early stopping (off by default). */
  stage2?: Stage2Options;
  seed?: number;
  stopRule?: AngleStopRule;
  validateEverySamples?: number;
  backend: string;
  /**
   * Where Stage II's steps run: 'wasm' (the default: TF.js, the backend in use) or 'webgpu'
   * (deepend's WGSL trainer on Dawn; falls back to wasm, saying why, when the model has layers
   * it has no kernels for or no adapter is found). Nothing sets 'webgpu' by default yet.
   */
  stage2Trainer?: 'wasm' | 'webgpu';
  /** The methods `auto` tries, in order (default AUTO_CANDIDATES). */
  autoCandidates?: readonly GrowthMethodName[];
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /**
   * Called with the parent's held-out figures before anything grows; a throw ends the growth there
   * (the daemon's check that its gate can be met on this data at all: jobs/gate.ts bestCaseRefusal).
   */
  onParentMeasured?: (heldOut: { n: number; errors: number }) => void;
}

export interface GrowResult {
  /** The whole grown model (an imported model's frozen part included), ready to save and serve. */
  model: tfl.LayersModel;
  report: GrowReport;
}

/** A device for Stage II on WebGPU, or why not (the model's layers, or no adapter): then Stage II runs on wasm. */
async function openStage2Device(
  model: tfl.LayersModel,
  train: TensorSet,
): Promise<{ device: GPUDevice } | { reason: string }> {
  try {
    planOf(model, train.output ?? 'softmax');
    return { device: await requestDevice() };
  } catch (err) {
    return { reason: firstLine(err) };
  }
}

/**
 * A split part as the head takes it: normalised, in the model's input shape,
 * and through the frozen part once (so a frozen backbone costs one forward
 * pass per sample for the whole run, not one per step).
 */
function headTensors(data: Dataset, meta: ModelMeta, frozen: tfl.LayersModel | undefined): TensorSet {
  const set = toTensorSet(data, meta.normalisation, meta.arch.classes, meta.arch.output, meta.inputShape);
  if (!frozen) return set;
  const features = frozenFeatures(frozen, set.x);
  set.x.dispose();
  return { ...set, x: features };
}

/** Stage II's peak learning rate: 1e-3 over 5e-4 and 2.5e-4 on the default upgrade (docs/design/dils.md, third round). */
export const STAGE2_LEARNING_RATE = 1e-3;
/** Stage II validates every this many training samples as well as at epoch ends, for curves and time-to-accuracy. */
export const VALIDATE_EVERY_SAMPLES = 2048;

/** The model's held-out figures with `weights` in place of its own (which it gets back); `weights` are disposed. */
function evaluateWith(model: tfl.LayersModel, weights: tf.Tensor[], data: TensorSet): Evaluation {
  const own = model.getWeights().map((w) => w.clone());
  try {
    model.setWeights(weights);
    return evaluate(model, data);
  } finally {
    model.setWeights(own);
    for (const w of [...own, ...weights]) w.dispose();
  }
}

/** A method's initialisation curves laid end to end from `start` (seconds on the growth's clock). */
function placeCurves(curves: StageCurve[], start: number): StageCurve[] {
  let at = start;
  return curves.map((c) => {
    const placed = { ...c, startSeconds: at };
    at += c.seconds;
    return placed;
  });
}

/** Stage II on the trainer asked for: WebGPU where it opens a device and has kernels for the model, else wasm. */
async function stage2On(
  trainer: GrowRequest['stage2Trainer'],
  run: Stage2Run,
): Promise<Awaited<ReturnType<typeof runStage2>>> {
  const gpu = trainer === 'webgpu' ? await openStage2Device(run.model, run.train) : undefined;
  if (gpu && 'device' in gpu) {
    try {
      const result = await runStage2OnWebGpu({ ...run, device: gpu.device });
      result.report.trainer = { name: 'webgpu' };
      return result;
    } finally {
      gpu.device.destroy();
    }
  }
  const result = await runStage2(run);
  result.report.trainer = gpu ? { name: 'wasm', webgpuRefused: gpu.reason } : { name: 'wasm' };
  return result;
}

export function initBudgetOf(budget: GrowBudget): Budget {
  if (budget.init) return budget.init;
  if (budget.seconds !== undefined) return { seconds: budget.seconds / 4 };
  return { epochs: 2 };
}

/**
 * The growth pipeline shared by every method: held-out accuracy of the parent,
 * the method's insertion and initialisation, held-out accuracy right after it,
 * Stage II (the global fine-tune of DILS section 3.1, see stage2.ts), and the
 * final held-out accuracy. Held-out = the split's test part; training curves use
 * the validation part.
 */
export async function grow(req: GrowRequest): Promise<GrowResult> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const { parent } = req;
  newBlocksNeeded(parent.meta.arch, req.toDepth);
  assertHeldOut(req.split);
  const { head, frozen } = growthParts(parent);
  let seeded: SeededHead | undefined;
  let seedOwned = false;
  const train = headTensors(req.split.train, parent.meta, frozen);
  const validation = headTensors(req.split.validation, parent.meta, frozen);
  const test = headTensors(req.split.test, parent.meta, frozen);
  try {
    if (parent.meta.origin && parent.meta.origin.format !== 'deepend' && parent.meta.growth.length === 0) {
      checkParentAboveChance(
        head,
        test,
        parent.meta.labels,
        parent.meta.inputContract ? describeContract(parent.meta.inputContract) : 'none',
      );
    }
    const { correct: parentCorrect, ...before } = evaluateEach(head, test);
    const n = parentCorrect.length;
    req.onParentMeasured?.({ n, errors: n - Math.round(before.accuracy * n) });
    // a head with no hidden layer first gets one that computes what it did (grow/seed.ts); methods grow from there
    seeded =
      depthOf(parent.meta.arch) === 0 && req.method !== 'continue'
        ? seedHiddenLayer(head, parent.meta.arch, train.x)
        : undefined;
    const start = seeded ?? { model: head, spec: parent.meta.arch };
    // growing to depth 1 adds the seed alone: its identity start is the growth (scratch builds it afresh instead)
    const onlySeed = seeded !== undefined && depthOf(seeded.spec) >= req.toDepth && req.method !== 'scratch';
    const plan = planFrom(seeded, parent.meta.arch, req);
    const batchSize = req.batchSize ?? DEFAULT_BATCH;
    const learningRate = req.learningRate ?? STAGE2_LEARNING_RATE;
    const seed = req.seed ?? 1;
    const validateEverySamples = req.validateEverySamples ?? VALIDATE_EVERY_SAMPLES;
    const race =
      req.method === 'auto' && !onlySeed
        ? new AutoRace(
            {
              head: start.model,
              parentSpec: start.spec,
              plan,
              train,
              validation,
              batchSize,
              learningRate,
              seed,
              stage2: req.stage2,
              onProgress: req.onProgress,
              signal: req.signal,
              candidates: req.autoCandidates,
            },
            elapsed,
          )
        : undefined;
    let method = methodByName(race ? race.first : methodNameOf(req.method, onlySeed), true);
    let initStart = elapsed();
    let init: Initialised = onlySeed
      ? { model: start.model, spec: start.spec, insertions: [], curves: [], plan, details: {} }
      : await method.initialise({
          parent: start.model,
          parentSpec: start.spec,
          plan,
          data: { train, validation },
          budget: initBudgetOf(req.budget),
          batchSize,
          learningRate,
          seed,
          onProgress: req.onProgress,
          signal: req.signal,
        });
    seedOwned = init.model === seeded?.model;
    try {
      let afterInsertion = evaluate(init.model, test);
      throwIfAborted(req.signal, 'growth');
      let initSeconds = elapsed();
      const remaining = (): Budget => ({
        epochs: req.budget.epochs,
        seconds: req.budget.seconds !== undefined ? Math.max(0.001, req.budget.seconds - elapsed()) : undefined,
      });
      const curves: StageCurve[] = placeCurves(init.curves, initStart);
      let stage2Start = elapsed();
      const stage2Budget = remaining();
      // `auto` grows its first candidate and tries the others in a pause of that Stage II (src/grow/auto.ts).
      const startCorrect = race ? correctFlags(init.model, validation) : undefined;
      const stage2Run: Stage2Run = {
        model: init.model,
        train,
        validation,
        budget: stage2Budget,
        batchSize,
        learningRate,
        seed: seed + 1,
        validateEverySamples,
        options: req.stage2,
        stopRule: req.stopRule,
        onProgress: req.onProgress,
        signal: req.signal,
        startCorrect,
        interlude: race && startCorrect ? race.interlude(init.model, startCorrect, stage2Budget) : undefined,
      };
      let stage2Result = await stage2On(req.stage2Trainer, stage2Run);
      const replacement = race?.replacement();
      if (race && replacement) {
        // A later candidate beat the first: the first's Stage II so far is part of the choice, and the winner
        // goes on from its trial with what is left of the budget.
        const { loop } = stage2Result;
        curves.push({
          stage: 'auto',
          detail: `${race.first}'s Stage II until ${replacement.method} beat it`,
          metric: 'loss',
          epochs: loop.epochs,
          checkpoints: loop.checkpoints,
          seconds: loop.seconds,
          startSeconds: stage2Start,
        });
        init.model.dispose();
        init = replacement.init;
        method = methodByName(replacement.method, true);
        initStart = replacement.initStart;
        initSeconds = replacement.initEnd;
        afterInsertion = evaluateWith(init.model, replacement.insertedWeights, test);
        curves.push(...placeCurves(init.curves, initStart), replacement.trialCurve);
        stage2Start = elapsed();
        stage2Result = await stage2On(req.stage2Trainer, {
          ...stage2Run,
          model: init.model,
          budget: remaining(),
          startCorrect: undefined,
          interlude: undefined,
        });
      }
      const auto = race?.choice(req.budget.seconds);
      const { loop: stage2, report: stage2Report } = stage2Result;
      curves.push({
        stage: 'stage2',
        metric: 'loss',
        epochs: stage2.epochs,
        checkpoints: stage2.checkpoints,
        seconds: stage2.seconds,
        startSeconds: stage2Start,
      });
      const { correct: candidateCorrect, ...after } = evaluateEach(init.model, test);
      const report: GrowReport = {
        method: method.name,
        ...(auto ? { auto } : {}),
        ...(onlySeed && req.method !== method.name ? { methodReason: seedOnlyReason(req.method) } : {}),
        backend: req.backend,
        family: parent.meta.family,
        depthBefore: depthOf(parent.meta.arch),
        depthAfter: depthOf(init.spec),
        accuracyBefore: before.accuracy,
        accuracyAfterInsertion: afterInsertion.accuracy,
        accuracyAfter: after.accuracy,
        lossBefore: before.loss,
        lossAfterInsertion: afterInsertion.loss,
        lossAfter: after.loss,
        seconds: elapsed(),
        initSeconds,
        parametersBefore: parent.model.countParams(),
        parameters: parent.model.countParams() - head.countParams() + init.model.countParams(),
        plan: init.plan ?? plan,
        insertions: seeded ? [seeded.insertion, ...init.insertions] : init.insertions,
        stage2: stage2Report,
        split: {
          fingerprint: req.split.fingerprint,
          seed: req.split.spec.seed,
          counts: req.split.counts,
          heldOut: 'test',
        },
        heldOutPairs: heldOutPairs(parentCorrect, candidateCorrect),
        phases: {
          insertion: initStart,
          stage1: method.usesInitBudget ? { start: initStart, end: initSeconds } : null,
          stage2: { start: stage2Start, end: stage2Start + stage2.seconds },
          ...(race?.span() ? { auto: race.span() } : {}),
        },
        curves,
        details: seeded
          ? { ...init.details, seed: { layer: seeded.insertion.inserted, shift: seeded.shift } }
          : init.details,
        spec: init.spec,
      };
      if (!frozen) return { model: init.model, report };
      const whole = await composeWithFrozen(frozen, init.model, parent.model.name);
      init.model.dispose();
      return { model: whole, report };
    } catch (err) {
      init.model.dispose();
      const won = race?.replacement();
      if (won && won.init !== init) {
        won.init.model.dispose();
        tf.dispose(won.insertedWeights);
      }
      throw err;
    }
  } finally {
    disposeTensorSet(train);
    disposeTensorSet(validation);
    disposeTensorSet(test);
    if (head !== parent.model) head.dispose();
    if (seeded && !seedOwned) seeded.model.dispose();
  }
}

/**
 * Where the new blocks go: as asked, or spread; after the seed of a depth-0 head (its one site); growing such a
 * head to depth 1 adds the seed alone, which Stage II trains with the rest.
 */
function planFrom(seeded: SeededHead | undefined, parentSpec: ArchSpec, req: GrowRequest): InsertionPlan {
  // `continue` keeps the parent as it is: a depth-0 one has no site to plan for
  if (req.method === 'continue' && depthOf(parentSpec) === 0)
    return { afterIndices: [], strategy: 'spread', reason: 'continue: the parent as it is, no new block' };
  if (!seeded) return req.plan ?? spreadPlan(parentSpec, req.toDepth);
  if (depthOf(seeded.spec) < req.toDepth) return spreadPlan(seeded.spec, req.toDepth);
  return {
    afterIndices: [],
    strategy: 'spread',
    reason: `a first hidden layer, ${seeded.insertion.inserted}, after ${seeded.insertion.afterBlock}: the model had none`,
  };
}

function seedOnlyReason(asked: GrowRequest['method']): string {
  return `${asked} was asked, but depth 1 is one new hidden layer, where the model had none, and it starts as the identity: nothing for ${asked} to initialise`;
}

/** A seed alone is the identity method's function-preserving start, whichever method was asked for. */
function methodNameOf(method: GrowRequest['method'], onlySeed: boolean): string {
  return onlySeed ? 'identity' : method;
}
