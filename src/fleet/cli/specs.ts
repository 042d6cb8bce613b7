/*
 * The specs of the `deepend fleet` subcommands (the operator's side), with
 * each flag's one line: their parsers read flags from these, and
 * src/cli/command-specs.ts lists them under `deepend fleet --help`. Kept free
 * of heavy imports, like that table.
 */
import type { CommandSpec, FlagDoc } from '../../cli-kit/args';
import { JSON_FLAG } from '../../cli-kit/common-flags';
import { METHOD_FLAG, TO_DEPTH_FLAG } from './inputs';

/** Flags every fleet subcommand takes. */
export const TARGET_FLAGS: readonly FlagDoc[] = [
  {
    name: 'url',
    value: 'URL',
    description: "the broker (default: the config's mqtt.url, else the local daemon's embedded broker)",
  },
  { name: 'fleet', value: 'F', description: "the fleet (default: the config's fleet)" },
  { name: 'config', value: 'FILE', description: 'the config file broker credentials and TLS files come from' },
];

export const DEEPEN_FLEET_SPEC: CommandSpec = {
  command: 'fleet deepen',
  operands: 'DEVICE',
  summary: 'Sends one device a deepen command and follows its job to the end.',
  flags: [
    { ...TO_DEPTH_FLAG, required: true },
    METHOD_FLAG,
    {
      name: 'timeout',
      value: 'SEC',
      description: 'give up following the job after SEC seconds (default 1800); the job goes on',
    },
    ...TARGET_FLAGS,
    JSON_FLAG,
  ],
};

export const DEVICES_SPEC: CommandSpec = {
  command: 'fleet devices',
  summary: "Lists the fleet's devices from their retained birth and state messages: model, depth, accuracy, job.",
  flags: [...TARGET_FLAGS, JSON_FLAG],
};

const RESUME_OR = 'unless --resume';

export const ROLLOUT_SPEC: CommandSpec = {
  command: 'fleet rollout',
  summary:
    'An upgrade for a fleet or a group: a canary batch first, then batches, stopping when failures pass a limit; resumable.',
  flags: [
    { ...TO_DEPTH_FLAG, required: RESUME_OR },
    {
      name: 'canary',
      value: 'PCT',
      description: 'share of devices in the first batch (0: no canary)',
      required: RESUME_OR,
    },
    {
      name: 'max-failures',
      value: 'PCT',
      description: 'after a batch, stop if more than PCT% of the devices that answered failed',
      required: RESUME_OR,
    },
    METHOD_FLAG,
    { name: 'group', value: 'G', description: 'only the devices whose birth lists group G' },
    { name: 'batch', value: 'PCT', description: 'share of devices per batch after the canary (default 25)' },
    {
      name: 'batch-timeout',
      value: 'SEC',
      description: "how long to wait for a batch's reports (default 1800); silent devices are pending, not failed",
    },
    {
      name: 'state',
      value: 'FILE',
      description: 'the rollout state database (default: fleet-rollouts.db in the home)',
    },
    { name: 'resume', value: 'ROLLOUTID', description: 'continue an interrupted rollout with its saved parameters' },
    ...TARGET_FLAGS,
    JSON_FLAG,
  ],
};

export const WATCH_SPEC: CommandSpec = {
  command: 'fleet watch',
  summary: "A live table of the fleet's devices, jobs and rollouts, redrawn as messages come (Ctrl-C quits).",
  flags: [...TARGET_FLAGS, { name: 'for', value: 'SEC', description: 'quit after SEC seconds' }],
};
