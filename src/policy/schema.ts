import { MAX_DEPTH } from '../limits';
import { POLICY_BACKENDS, POLICY_METHODS } from './names';

const FRACTION = { type: 'number', minimum: 0, maximum: 1 } as const;

const MATCH_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    gpu: { type: 'boolean' },
    vendor: { type: 'string', minLength: 1 },
    minVramGB: { type: 'number', minimum: 0 },
    unifiedMemory: { type: 'boolean' },
    minCores: { type: 'integer', minimum: 1 },
    minMemoryGB: { type: 'number', minimum: 0 },
    backend: {
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
    targetDepth: { type: 'integer', minimum: 1, maximum: MAX_DEPTH },
    blocksMore: { type: 'integer', minimum: 1, maximum: MAX_DEPTH - 1 },
    method: { type: 'string', enum: POLICY_METHODS },
    maxStep: { type: 'integer', minimum: 1, maximum: MAX_DEPTH },
    budget: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        epochs: { type: 'integer', minimum: 1 },
        minutes: { type: 'number', exclusiveMinimum: 0 },
      },
    },
    gate: {
      type: 'object',
      additionalProperties: false,
      required: ['minGain', 'minAccuracy'],
      properties: {
        minGain: FRACTION,
        minAccuracy: FRACTION,
        confidence: { type: 'number', minimum: 0.5, maximum: 0.9999 },
        maxLoss: FRACTION,
      },
    },
    retries: { type: 'integer', minimum: 0, maximum: 10 },
    window: { type: 'string', minLength: 1 },
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
