import { tfl } from '../tf';
import { ArchSpec } from '../model/arch';
import { Insertion } from '../model/surgery';
import { Budget } from '../train/budget';
import { Checkpoint, EpochRecord } from '../train/loop';
import { ProgressCallback } from '../train/progress';
import { TensorSet } from '../train/tensors';
import type { BaselineName, GrowthMethodName } from '../growth-methods';

/** The methods' and baselines' names live below every layer (src/growth-methods.ts); grow's code takes them from here. */
export { BASELINES, GROWTH_METHODS, METHOD_CHOICES } from '../growth-methods';
export type { BaselineName, GrowthMethodName, MethodChoice } from '../growth-methods';

/** Where new blocks go: one new block after each listed parent block index (repeats allowed). */
export interface InsertionPlan {
  afterIndices: number[];
  strategy: 'spread' | 'lowest-error' | 'explicit';
  /** Why these places, in words, for the report. */
  reason: string;
  /** lowest-error only: the Stage I error each candidate site scored. */
  candidateErrors?: { afterIndex: number; error: number }[];
}

/** Training data for growth, already normalised with the parent's normalisation. */
export interface GrowthData {
  train: TensorSet;
  validation: TensorSet;
}

/** One training stage's learning curve, for the report and the picture. */
export interface StageCurve {
  stage: string;
  detail?: string;
  /** 'loss' for classifier stages; 'mse' for local (Stage I / look-ahead feature) fits. */
  metric: 'loss' | 'mse';
  epochs: EpochRecord[];
  /** Finer validation measurements, when the stage took them. */
  checkpoints?: Checkpoint[];
  seconds: number;
  /** Seconds from the start of the growth run to the start of this stage (set by grow/run.ts). */
  startSeconds?: number;
}

export interface InitialiseContext {
  parent: tfl.LayersModel;
  parentSpec: ArchSpec;
  plan: InsertionPlan;
  data: GrowthData;
  /** Budget of the method's own initialisation phase (Stage I, look-ahead, optGD...). */
  budget: Budget;
  batchSize: number;
  learningRate: number;
  seed: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/** What a method's initialisation hands to Stage II. */
export interface Initialised {
  model: tfl.LayersModel;
  spec: ArchSpec;
  insertions: Insertion[];
  curves: StageCurve[];
  /** Set when the method chose the sites itself (DILS's lowest-error placement). */
  plan?: InsertionPlan;
  /** Method-specific facts for report.json (e.g. Stage I error per site, optGD iterations). */
  details: Record<string, unknown>;
  /**
   * Set, saying why, when the start is identity's up to symmetry-breaking noise (every new block the identity,
   * nothing refitted): such a method counts as identity (issue 10), and `auto` does not try it against identity.
   */
  identityStart?: string;
}

/**
 * A growth method inserts the plan's blocks and initialises them (and, for DILS,
 * refits the split blocks). Stage II, the shared global fine-tune, follows in
 * grow/run.ts. One file per method under src/grow/methods/.
 */
export interface GrowthMethod {
  name: GrowthMethodName | BaselineName;
  /** Does the method spend budget before Stage II? (identity and random do not.) */
  usesInitBudget: boolean;
  initialise(ctx: InitialiseContext): Promise<Initialised>;
}
