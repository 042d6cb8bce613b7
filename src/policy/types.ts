import type { MethodChoice } from '../growth-methods';

/** Conditions on compute facts; every one that is set must hold. No conditions: matches every device. */
export interface PolicyMatch {
  /** At least one GPU (true) or none (false); BMC and virtual display adapters do not count. */
  gpu?: boolean;
  /** A GPU of this vendor (NVIDIA, AMD, Intel, Apple; case-insensitive). */
  vendor?: string;
  /** A GPU (of `vendor`, when set) with at least this much memory, in GB of 10^9 bytes. */
  minVramGB?: number;
  unifiedMemory?: boolean;
  /** Logical cores. */
  minCores?: number;
  /** System memory in GB of 10^9 bytes. */
  minMemoryGB?: number;
  /** The TF.js backend that loaded: tensorflow, wasm, cpu (one name or a list). */
  backend?: string | string[];
}

export interface PolicyRule {
  name: string;
  match: PolicyMatch;
  /** The depth to reach; a rule gives this or blocksMore. */
  targetDepth?: number;
  /** Blocks more than the model had when it was imported (or shipped): repeated upgrades stop there. */
  blocksMore?: number;
  method: MethodChoice;
  /** The largest growth step of one job, in blocks. */
  maxStep: number;
  budget: { epochs?: number; minutes?: number };
  /**
   * Fractions 0..1, on the held-out samples: the grown model must reach
   * minAccuracy, beat the current one by minGain, and, with `confidence`
   * (default 0.95), not be worse than it by more than maxLoss (default 0.0025).
   */
  gate: { minGain: number; minAccuracy: number; confidence?: number; maxLoss?: number };
  /** How often an automatic upgrade the gate rejected is tried again with another seed (default 2). */
  retries?: number;
  /** A cron expression: automatic upgrades start only in a minute it matches. */
  window?: string;
  automatic: boolean;
}

export interface Policy {
  name: string;
  /** sha256 hex of the file's bytes. */
  hash: string;
  rules: PolicyRule[];
  file: string;
}

/** One problem in a policy file; `line` is 1-based, null when the problem is the file itself. */
export interface PolicyProblem {
  file: string;
  line: number | null;
  /** Dotted path to the field: rules[2].gate.minGain; "yaml" for syntax errors, "file" when unreadable. */
  field: string;
  message: string;
}
