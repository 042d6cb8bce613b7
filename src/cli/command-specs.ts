/*
 * Every command and subcommand of `deepend`, with each flag's one line: the
 * parsers (cli-kit/args.ts) read flags from these and --help prints them. Kept
 * free of heavy imports, so that --help, --version and usage errors do not
 * load TF.js, and each command loads only its own code (cli/main.ts). The
 * fleet's subcommands keep their specs in src/fleet/cli/specs.ts.
 */
import type { CommandGroup, CommandSpec } from '../cli-kit/args';
import { DAEMON_FLAGS, JSON_FLAG } from '../cli-kit/common-flags';
import { DATA_FLAG, DATA_LIMIT_FLAG, IMPORT_FLAGS } from './model-flags';
import { METHOD_CHOICES } from '../growth-methods';
import { POLICY_BACKENDS } from '../policy/names';
import {
  CONSOLE_SPEC,
  DEEPEN_FLEET_SPEC,
  DEVICES_SPEC,
  ROLLOUT_SPEC,
  SIMULATE_SPEC,
  CONTROL_SPEC,
  WATCH_SPEC,
} from '../fleet/cli/specs';

export const CANCEL_SPEC: CommandSpec = {
  command: 'cancel',
  operands: '[JOBID]',
  summary: 'The daemon cancels that job (default: the active one); the served model stays.',
  flags: DAEMON_FLAGS,
};

export const DEEPEN_SPEC: CommandSpec = {
  command: 'deepen',
  summary: 'Asks the running daemon for a manual upgrade; --wait follows it to its end.',
  flags: [
    { name: 'to-depth', value: 'N', description: "the depth to grow to (default: the policy rule's target)" },
    {
      name: 'method',
      value: 'M',
      description: `how new layers start: ${METHOD_CHOICES.join(', ')} (default: the rule's)`,
    },
    { name: 'wait', description: 'follow the job to its end; exit 0 only if it succeeded' },
    ...DAEMON_FLAGS,
  ],
};

export const DEMO_SPEC: CommandSpec = {
  command: 'demo',
  summary: 'Grows the shipped model on the shipped MNIST digits and prints the result (no daemon needed).',
  flags: [
    { name: 'method', value: 'M', description: 'how new layers start (default dils)' },
    { name: 'to-depth', value: 'N', description: 'the depth to grow to (default 4)' },
    { name: 'budget-seconds', value: 'S', description: 'wall-time budget for training (default 60)' },
    { name: 'out', value: 'DIR', description: 'where the grown model goes (default runs/demo-TIME)' },
    JSON_FLAG,
  ],
};

export const EVAL_SPEC: CommandSpec = {
  command: 'eval',
  summary:
    'Prints the held-out accuracy of a saved model on the same seeded split grow uses; a model that cannot grow as it is is measured too, and told why.',
  flags: [
    {
      name: 'model',
      value: 'PATH',
      description: 'the model: a TF.js directory, model.json, .h5, .keras, or a directory deepend wrote',
      required: true,
    },
    DATA_FLAG,
    DATA_LIMIT_FLAG,
    { name: 'seed', value: 'N', description: 'seed of the data split (default 42)' },
    ...IMPORT_FLAGS,
    JSON_FLAG,
  ],
};

export const GROW_SPEC: CommandSpec = {
  command: 'grow',
  summary: 'Grows a saved model deeper on local data and writes the grown model with its report and learning curve.',
  flags: [
    {
      name: 'model',
      value: 'PATH',
      description: 'the model: a TF.js directory, model.json, .h5, .keras, or a directory deepend wrote',
      required: true,
    },
    DATA_FLAG,
    DATA_LIMIT_FLAG,
    { name: 'to-depth', value: 'N', description: 'the depth to grow to (hidden blocks)', required: true },
    { name: 'method', value: 'M', description: `how new layers start: ${METHOD_CHOICES.join(', ')}`, required: true },
    { name: 'out', value: 'DIR', description: 'where the grown model goes (a new or empty directory)', required: true },
    { name: 'budget-seconds', value: 'S', description: 'wall-time budget for training' },
    { name: 'epochs', value: 'E', description: 'epochs of training (default 3 without --budget-seconds)' },
    {
      name: 'until-accuracy',
      value: 'A',
      description: 'add one block at a time until held-out accuracy reaches A (0..1) or --to-depth',
    },
    {
      name: 'placement',
      value: 'spread|lowest-error',
      description: 'where new blocks go (lowest-error: by DILS Stage I error; dils only)',
    },
    { name: 'lr', value: 'R', description: 'learning rate' },
    { name: 'batch', value: 'B', description: 'batch size' },
    { name: 'seed', value: 'N', description: 'seed of the data split (default 42)' },
    { name: 'name', value: 'NAME', description: "the grown model's name in meta.json" },
    { name: 'format', value: 'tfjs|keras', description: 'keras: also write model.keras beside the TF.js files' },
    ...IMPORT_FLAGS,
    JSON_FLAG,
  ],
};

export const INSPECT_SPEC: CommandSpec = {
  command: 'inspect',
  operands: 'MODEL',
  summary:
    'Shows what deepend sees in a model: format, producer, layers, sites, depth, input scaling, labels, what can grow.',
  flags: [...IMPORT_FLAGS, JSON_FLAG],
};

export const JOBS_SPEC: CommandSpec = {
  command: 'jobs',
  summary: "Lists the daemon's jobs, newest first, with how each ended.",
  flags: [{ name: 'limit', value: 'N', description: 'how many jobs (default 20, at most 1000)' }, ...DAEMON_FLAGS],
};

export const MODELS_IMPORT_SPEC: CommandSpec = {
  command: 'models import',
  operands: 'PATH',
  summary:
    "Makes your model (TF.js directory, model.json, .h5, .keras) the daemon's next committed version; a running daemon swaps to it.",
  flags: [
    {
      name: 'name',
      value: 'NAME',
      description: 'the daemon model it becomes a version of (default: model.name in the config)',
    },
    ...IMPORT_FLAGS,
    ...DAEMON_FLAGS,
  ],
};

export const MODELS_LIST_SPEC: CommandSpec = {
  command: 'models',
  summary: "Lists the versions of the daemon's model; * marks the committed one.",
  flags: DAEMON_FLAGS,
};

export const POLICY_CHECK_SPEC: CommandSpec = {
  command: 'policy check',
  operands: 'FILE...',
  summary: 'Checks policy files: every problem as file:line: field: message; exit 1 if there is any.',
  flags: [JSON_FLAG],
};

export const POLICY_EXPLAIN_SPEC: CommandSpec = {
  command: 'policy explain',
  operands: '[FILE]',
  summary:
    "Shows this device's compute facts and fingerprint, and which rule of the policy (default: the shipped one) matches and why.",
  flags: [
    { name: 'hardware', value: 'RAW.json', description: "a recorded device's hardware instead of this machine's" },
    { name: 'backend', value: 'NAME', description: `the TF.js backend to assume: ${POLICY_BACKENDS.join(', ')}` },
    JSON_FLAG,
  ],
};

export const ROLLBACK_SPEC: CommandSpec = {
  command: 'rollback',
  operands: '[VERSION]',
  summary: "The daemon swaps back to VERSION (default: the committed version's parent) and commits it.",
  flags: DAEMON_FLAGS,
};

export const START_SPEC: CommandSpec = {
  command: 'start',
  summary: 'Runs the daemon in the foreground until SIGTERM or SIGINT (daemon/deepend.service runs it under systemd).',
  flags: [
    {
      name: 'config',
      value: 'FILE',
      description: 'the config file (default: config.yaml in $DEEPEND_HOME, else ~/.deepend)',
    },
  ],
};

export const STATUS_SPEC: CommandSpec = {
  command: 'status',
  summary: 'Shows what the running daemon serves and does: model, job, backend, policy rule, fleet link.',
  flags: DAEMON_FLAGS,
};

export const TRAIN_SPEC: CommandSpec = {
  command: 'train',
  summary: 'Trains a model of a family and depth from scratch on local data (a parent to grow, or a baseline).',
  flags: [
    { name: 'family', value: 'mlp|conv|resnet', description: 'the kind of network', required: true },
    { name: 'depth', value: 'N', description: 'hidden blocks (1..64)', required: true },
    DATA_FLAG,
    { name: 'out', value: 'DIR', description: 'where the model goes (a new or empty directory)', required: true },
    { name: 'epochs', value: 'E', description: 'epochs of training' },
    { name: 'seconds', value: 'S', description: 'wall-time budget for training' },
    { name: 'width', value: 'W', description: 'units (or channels) per hidden block' },
    { name: 'batch-norm', description: 'batch normalisation after each hidden block' },
    { name: 'batch', value: 'B', description: 'batch size' },
    { name: 'lr', value: 'R', description: 'learning rate' },
    { name: 'seed', value: 'N', description: 'seed of the data split (default 42)' },
    { name: 'init-seed', value: 'N', description: 'seed of the initial weights and the batch order' },
    { name: 'name', value: 'NAME', description: "the model's name in meta.json (default FAMILY-DEPTH)" },
    JSON_FLAG,
  ],
};

export const FLEET_GROUP: CommandGroup = {
  command: 'fleet',
  summary:
    'The fleet side: devices, deepen, rollouts and their control, a live view and a console, over the MQTT broker only.',
  subcommands: [DEVICES_SPEC, DEEPEN_FLEET_SPEC, ROLLOUT_SPEC, CONTROL_SPEC, WATCH_SPEC, CONSOLE_SPEC, SIMULATE_SPEC],
  note: 'each takes [--url URL] [--fleet F] [--config FILE]',
};

export const MODELS_GROUP: CommandGroup = {
  command: 'models',
  summary: "The daemon's model versions, and importing your own model as the next one.",
  subcommands: [MODELS_LIST_SPEC, MODELS_IMPORT_SPEC],
};

export const POLICY_GROUP: CommandGroup = {
  command: 'policy',
  summary: 'Checks policy files and explains which rule matches a device.',
  subcommands: [POLICY_CHECK_SPEC, POLICY_EXPLAIN_SPEC],
};
