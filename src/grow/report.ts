import { ArchSpec, Family } from '../model/arch';
import { Insertion } from '../model/surgery';
import type { Stage2Report } from './stage2';
import type { AutoChoice } from './auto';
import { InsertionPlan, StageCurve } from './types';
import type { HeldOutPairs } from './held-out-pairs';
import type { GateSettings } from '../policy/gate';

/** A span of the run, in seconds since growth started. */
export interface Span {
  start: number;
  end: number;
}

/** report.json of a growth run; the CLI's --json output carries the same fields. */
export interface GrowReport {
  method: string;
  backend: string;
  family: Family;
  depthBefore: number;
  depthAfter: number;
  /** Held-out accuracy (fraction 0..1) of the parent, right after insertion/initialisation, and after Stage II. */
  accuracyBefore: number;
  accuracyAfterInsertion: number;
  accuracyAfter: number;
  lossBefore: number;
  lossAfterInsertion: number;
  lossAfter: number;
  seconds: number;
  initSeconds: number;
  parametersBefore: number;
  parameters: number;
  plan: InsertionPlan;
  insertions: Insertion[];
  /** Set when the method was `auto`: what was tried, and why `method` was chosen. */
  auto?: AutoChoice;
  /** Set when `method` is not the one asked for, saying why (a depth-0 head grown by its seed alone is identity's). */
  methodReason?: string;
  /** Stage II: its schedule, where it stopped and which checkpoint the grown model is. */
  stage2: Stage2Report;
  split: {
    fingerprint: string;
    seed: number;
    counts: { train: number; validation: number; test: number };
    heldOut: 'test';
  };
  /** Which held-out samples each model got right: the gate's paired comparison. */
  heldOutPairs: HeldOutPairs;
  /** When the blocks were inserted, and Stage I (the method's initialisation; null when it has none) and Stage II ran. */
  phases: { insertion: number; stage1: Span | null; stage2: Span; auto?: Span };
  /** The gate a daemon job judges this candidate by (set by the growth process; absent for `deepend grow`). */
  gate?: GateSettings;
  curves: StageCurve[];
  details: Record<string, unknown>;
  spec: ArchSpec;
}
