import type { MethodChoice } from '../growth-methods';
import type { PolicyRule } from '../policy/types';
import type { ModelSlot } from '../serve/model-slot';
import type { JobRow, Store } from '../store/types';
import type { ProgressEvent } from '../train/progress';

/** What a trigger asks for; unset fields come from the matching policy rule. */
export interface UpgradeRequest {
  toDepth?: number;
  method?: MethodChoice;
  trigger: 'automatic' | 'manual' | 'fleet';
  commandId?: string;
  /** 1 (default) for a first try; n for the (n-1)th retry of an upgrade the gate rejected: another growth seed. */
  attempt?: number;
  /** The job this one retries. */
  retryOf?: string;
  /** The share of the local data held out for the gate (default HELD_OUT_FRACTION; a retry may ask for more). */
  heldOutFraction?: number;
}

/**
 * Growth progress as the daemon reports it. `step` is the job's step, stage1
 * (insertion and initialisation) or stage2 (fine-tune); docs/design/daemon.md's
 * `ProgressEvent & { step: string }` cannot be, as ProgressEvent's `step` is
 * the training step, here renamed `stageStep`. `percent` is 0..100 through both steps.
 */
export type JobProgress = Omit<ProgressEvent, 'step'> & { step: GrowStep; stageStep: number; percent: number };
export type GrowStep = 'stage1' | 'stage2';

export interface JobEvents {
  onState(job: JobRow): void;
  onProgress(job: JobRow, e: JobProgress): void;
  /** An ended job's result gained figures measured after its end (the watch after its swap). */
  onResult?(job: JobRow): void;
}

/** Knobs with production defaults; tests shrink them. */
export interface RunnerTuning {
  /** Load at most this many samples of the data source (the config's dataLimit). Default: all. */
  dataLimit?: number;
  /** The growth process's nice value (the config's growthNice). Default 19. */
  growthNice?: number;
  /** How long a canceled or stopped growth worker may take to notice before it is terminated. Default 5000 ms. */
  cancelGraceMs?: number;
}

export interface RunnerDeps {
  store: Store;
  home: string;
  modelName: string;
  slot: ModelSlot;
  rule: () => PolicyRule | null;
  /** Data source for growth and the gate: 'mnist', an image folder or a .csv file. */
  data: string;
  /** The TF.js backend the serving thread uses; the growth worker loads the same one. */
  backend: string;
  events?: Partial<JobEvents>;
  log: (line: object) => void;
  tuning?: RunnerTuning;
}

export type RequestAnswer = { accepted: true; job: JobRow } | { accepted: false; reason: string; job?: JobRow };

export interface RecoverReport {
  /** Jobs that carry on: re-run from planning, re-gated from an intact candidate, or a swap finished. */
  resumed: string[];
  /** Jobs whose interrupted swap could not be finished: undone, ended `failed`, the committed version serves. */
  rolledBack: string[];
  /** Jobs the loop guard ended. */
  failed: string[];
}
