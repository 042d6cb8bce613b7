// Generated from POLICY_SCHEMA in src/policy/schema.ts by `npm run gen:types`: do not edit.
// The schema is the one source; test/schema-types.test.ts fails when this file is stale.

export interface PolicyFile {
  name?: string;
  /**
   * @minItems 1
   */
  rules: {
    name: string;
    /**
     * Conditions on compute facts; every one that is set must hold. No conditions: matches every device.
     */
    match?: {
      /**
       * At least one GPU (true) or none (false); BMC and virtual display adapters do not count.
       */
      gpu?: boolean;
      /**
       * A GPU of this vendor (NVIDIA, AMD, Intel, Apple; case-insensitive).
       */
      vendor?: string;
      /**
       * A GPU (of `vendor`, when set) with at least this much memory, in GB of 10^9 bytes.
       */
      minVramGB?: number;
      /**
       * The GPU shares system memory (Jetsons).
       */
      unifiedMemory?: boolean;
      /**
       * Logical cores.
       */
      minCores?: number;
      /**
       * System memory in GB of 10^9 bytes.
       */
      minMemoryGB?: number;
      /**
       * The TF.js backend that loaded: tensorflow, wasm, cpu (one name or a list).
       */
      backend?: ('tensorflow' | 'wasm' | 'cpu' | 'webgpu') | ('tensorflow' | 'wasm' | 'cpu' | 'webgpu')[];
    };
    /**
     * The depth to reach; a rule gives this or blocksMore.
     */
    targetDepth?: number;
    /**
     * Blocks more than the model had when it was imported (or shipped): repeated upgrades stop there.
     */
    blocksMore?: number;
    method: 'dils' | 'identity' | 'morphism' | 'lookahead' | 'random' | 'auto';
    /**
     * The method where every new block would follow a Dense layer (an MLP's sites); default: `method`. Where it is identity and identity would not be exact there (a unit that is not ReLU), `method` grows.
     */
    denseMethod?: 'dils' | 'identity' | 'morphism' | 'lookahead' | 'random' | 'auto';
    /**
     * The largest growth step of one job, in blocks.
     */
    maxStep: number;
    /**
     * How long one job may grow: epochs, minutes of wall time, or both (whichever ends first).
     */
    budget: {
      epochs?: number;
      minutes?: number;
    };
    /**
     * Fractions (minGain -1..1, the others 0..1), on the held-out samples: the grown model must reach minAccuracy, beat the current one by minGain, and, with `confidence` (default 0.95), not be worse than it by more than maxLoss (default 0.0025).
     */
    gate: {
      /**
       * The point gain the grown model must show, as a fraction (0.001 = 0.1 point). Below 0 lets a grown model through that is that much worse on the point estimate (e.g. to deepen now and fine-tune later), still only when the paired bound says it is not worse by more than maxLoss.
       */
      minGain: number;
      minAccuracy: number;
      confidence?: number;
      maxLoss?: number;
    };
    /**
     * After the gate passes, the candidate answers a sample of live predict requests beside the served model (off the request path) for up to `minutes`, until `requests` were compared; it is not swapped in when it answers another class on more than maxDisagreement of their instances, or when its p99 forward time is more than maxLatencyRatio times the served model's.
     */
    shadow?: {
      requests: number;
      minutes: number;
      maxDisagreement: number;
      maxLatencyRatio?: number;
    };
    /**
     * For `minutes` after a swap, the new version's live traffic against what the old version answered before it: the daemon rolls back by itself when more than maxErrorRate (default 0.02) of predict requests fail, the answered classes move more than maxShift (total variation, default 0.25) from the old version's, the labelled accuracy (POST :feedback) falls more than maxAccuracyDrop (default 0.03) below the old version's, or, when set, the p99 latency is more than maxLatencyRatio times the old one's. The first three must be past their limit at `confidence` (default 0.999: the watch looks after every request, and small samples are noisy); each figure is judged once both versions have answered minRequests (default 20) requests (the error rate: the new one alone).
     */
    watch?: {
      minutes: number;
      maxErrorRate?: number;
      maxShift?: number;
      maxAccuracyDrop?: number;
      maxLatencyRatio?: number;
      minRequests?: number;
      confidence?: number;
    };
    /**
     * How often an automatic upgrade the gate rejected is tried again with another seed (default 2).
     */
    retries?: number;
    /**
     * A cron expression: automatic upgrades start only in a minute it matches.
     */
    window?: string;
    automatic: boolean;
  }[];
}
