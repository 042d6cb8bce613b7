import { MAX_DEPTH } from '../limits';
import { POLICY_BACKENDS, POLICY_METHODS } from './names';

const FRACTION = { type: 'number', minimum: 0, maximum: 1 } as const;

const MATCH_SCHEMA = {
  type: 'object',
  description: 'Conditions on compute facts; every one that is set must hold. No conditions: matches every device.',
  additionalProperties: false,
  properties: {
    gpu: {
      type: 'boolean',
      description: 'At least one GPU (true) or none (false); BMC and virtual display adapters do not count.',
    },
    vendor: {
      type: 'string',
      minLength: 1,
      description: 'A GPU of this vendor (NVIDIA, AMD, Intel, Apple; case-insensitive).',
    },
    minVramGB: {
      type: 'number',
      minimum: 0,
      description: 'A GPU (of `vendor`, when set) with at least this much memory, in GB of 10^9 bytes.',
    },
    unifiedMemory: { type: 'boolean', description: 'The GPU shares system memory (Jetsons).' },
    minCores: { type: 'integer', minimum: 1, description: 'Logical cores.' },
    minMemoryGB: { type: 'number', minimum: 0, description: 'System memory in GB of 10^9 bytes.' },
    backend: {
      description: 'The TF.js backend that loaded: tensorflow, wasm, cpu (one name or a list).',
      anyOf: [
        { type: 'string', enum: POLICY_BACKENDS },
        { type: 'array', items: { type: 'string', enum: POLICY_BACKENDS }, minItems: 1 },
      ],
    },
  },
} as const;

const RULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'method', 'maxStep', 'budget', 'gate', 'automatic'],
  properties: {
    name: { type: 'string', minLength: 1 },
    match: MATCH_SCHEMA,
    targetDepth: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_DEPTH,
      description: 'The depth to reach; a rule gives this or blocksMore.',
    },
    blocksMore: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_DEPTH - 1,
      description: 'Blocks more than the model had when it was imported (or shipped): repeated upgrades stop there.',
    },
    method: { type: 'string', enum: POLICY_METHODS },
    denseMethod: {
      type: 'string',
      enum: POLICY_METHODS,
      description:
        "The method where every new block would follow a Dense layer (an MLP's sites); default: `method`. Where it is identity and identity would not be exact there (a unit that is not ReLU), `method` grows.",
    },
    maxStep: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_DEPTH,
      description: 'The largest growth step of one job, in blocks.',
    },
    budget: {
      type: 'object',
      description: 'How long one job may grow: epochs, minutes of wall time, or both (whichever ends first).',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        epochs: { type: 'integer', minimum: 1 },
        minutes: { type: 'number', exclusiveMinimum: 0 },
      },
    },
    gate: {
      type: 'object',
      description:
        'Fractions (minGain -1..1, the others 0..1), on the held-out samples: the grown model must reach minAccuracy, beat the current one by minGain, and, with `confidence` (default 0.95), not be worse than it by more than maxLoss (default 0.0025).',
      additionalProperties: false,
      required: ['minGain', 'minAccuracy'],
      properties: {
        minGain: {
          type: 'number',
          minimum: -1,
          maximum: 1,
          description:
            'The point gain the grown model must show, as a fraction (0.001 = 0.1 point). Below 0 lets a grown model through that is that much worse on the point estimate (e.g. to deepen now and fine-tune later), still only when the paired bound says it is not worse by more than maxLoss.',
        },
        minAccuracy: FRACTION,
        confidence: { type: 'number', minimum: 0.5, maximum: 0.9999 },
        maxLoss: FRACTION,
      },
    },
    shadow: {
      type: 'object',
      description:
        "After the gate passes, the candidate answers a sample of live predict requests beside the served model (off the request path) for up to `minutes`, until `requests` were compared; it is not swapped in when it answers another class on more than maxDisagreement of their instances, or when its p99 forward time is more than maxLatencyRatio times the served model's.",
      additionalProperties: false,
      required: ['requests', 'minutes', 'maxDisagreement'],
      properties: {
        requests: { type: 'integer', minimum: 1, maximum: 1000000 },
        minutes: { type: 'number', exclusiveMinimum: 0, maximum: 10080 },
        maxDisagreement: FRACTION,
        maxLatencyRatio: { type: 'number', minimum: 1 },
      },
    },
    watch: {
      type: 'object',
      description:
        "For `minutes` after a swap, the new version's live traffic against what the old version answered before it: the daemon rolls back by itself when more than maxErrorRate (default 0.02) of predict requests fail, the answered classes move more than maxShift (total variation, default 0.25) from the old version's, the labelled accuracy (POST :feedback) falls more than maxAccuracyDrop (default 0.03) below the old version's, or, when set, the p99 latency is more than maxLatencyRatio times the old one's. The first three must be past their limit at `confidence` (default 0.999: the watch looks after every request, and small samples are noisy); each figure is judged once both versions have answered minRequests (default 20) requests (the error rate: the new one alone).",
      additionalProperties: false,
      required: ['minutes'],
      properties: {
        minutes: { type: 'number', exclusiveMinimum: 0, maximum: 10080 },
        maxErrorRate: FRACTION,
        maxShift: FRACTION,
        maxAccuracyDrop: FRACTION,
        maxLatencyRatio: { type: 'number', minimum: 1 },
        minRequests: { type: 'integer', minimum: 1, maximum: 1000000 },
        confidence: { type: 'number', minimum: 0.5, maximum: 0.99999 },
      },
    },
    retries: {
      type: 'integer',
      minimum: 0,
      maximum: 10,
      description: 'How often an automatic upgrade the gate rejected is tried again with another seed (default 2).',
    },
    window: {
      type: 'string',
      minLength: 1,
      description: 'A cron expression: automatic upgrades start only in a minute it matches.',
    },
    automatic: { type: 'boolean' },
  },
} as const;

/** The policy file: an optional name and an ordered, non-empty list of rules. */
export const POLICY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['rules'],
  properties: {
    name: { type: 'string', minLength: 1 },
    rules: { type: 'array', minItems: 1, items: RULE_SCHEMA },
  },
} as const;
