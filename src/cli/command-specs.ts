/*
 * Every command and subcommand of `deepend`, with each flag's one line: the
 * parsers (cli/args.ts) read flags from these and --help prints them. Kept
 * free of heavy imports, so that --help, --version and usage errors do not
 * load TF.js, and each command loads only its own code (cli/main.ts).
 */
import type { CommandGroup, CommandSpec } from './args';
import { DAEMON_FLAGS, JSON_FLAG } from './common-flags';
import { DATA_FLAG, IMPORT_FLAGS } from './model-flags';
import { METHOD_CHOICES } from '../grow/types';
import { POLICY_BACKENDS } from '../policy/names';
import { METHOD_FLAG, TO_DEPTH_FLAG } from '../fleet/cli/inputs';
import type { FlagDoc } from './args';

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
  summary: 'Prints the held-out accuracy of a saved model on the same seeded split grow uses.',
  flags: [
    {
      name: 'model',
      value: 'PATH',
      description: 'the model: a TF.js directory, model.json, .h5, .keras, or a directory deepend wrote',
      required: true,
    },
    DATA_FLAG,
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
    'An upgrade for a fleet or a group, a canary then batches or in waves, stopping on failures or on the gains the devices measured; resumable.',
  flags: [
    { ...TO_DEPTH_FLAG, required: RESUME_OR },
    {
      name: 'canary',
      value: 'PCT',
      description: 'share of devices in the first batch (0: no canary)',
      required: 'unless --resume or --waves',
    },
    {
      name: 'max-failures',
      value: 'PCT',
      description:
        'stop if more than PCT% of the devices that answered failed or were rejected (of the rollout; with --waves, of the wave)',
      required: RESUME_OR,
    },
    {
      name: 'waves',
      value: 'PCTS',
      description: 'waves instead of canary and batches: cumulative percentages of the target set, e.g. 1,10,50,100',
    },
    {
      name: 'pause',
      value: 'DURATION',
      description: 'wait this long between waves or batches: 30s, 10m, 1h (default 0s)',
    },
    {
      name: 'min-median-gain',
      value: 'POINTS',
      description: "stop unless the median of a wave's measured gains (accuracy after - before) is at least POINTS",
    },
    {
      name: 'max-loss',
      value: 'POINTS',
      description: 'stop when a device of a wave lost more than POINTS of held-out accuracy',
    },
    { name: 'rollback-on-stop', description: 'roll back the devices of the wave that stopped the rollout' },
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

export const CONSOLE_SPEC: CommandSpec = {
  command: 'fleet console',
  summary:
    "The fleet in a browser, live: devices, jobs and the fleet's summary; deepen a device or a group (Ctrl-C quits).",
  flags: [
    { name: 'port', value: 'PORT', description: 'the port to listen on (default 8600; 0: a free one)' },
    {
      name: 'host',
      value: 'ADDR',
      description: 'the address to listen on (default 127.0.0.1); off loopback a token is required',
    },
    {
      name: 'token-file',
      value: 'FILE',
      description:
        'file with the token every /api/ request must carry (default: none on loopback, else one made and printed once)',
    },
    ...TARGET_FLAGS,
  ],
};

export const SIMULATE_SPEC: CommandSpec = {
  command: 'fleet simulate',
  summary:
    'Simulated devices on the broker (the real fleet agent, growth simulated), to try the console and fleet commands.',
  flags: [
    { name: 'devices', value: 'N', description: 'how many devices (1..1000)', required: true },
    { name: 'group', value: 'G', description: 'the group every device is in (default sim)' },
    {
      name: 'fail-rate',
      value: 'P',
      description: 'share of the devices (0..1, spread evenly) whose candidates the gate rejects (default 0)',
    },
    { name: 'grow-seconds', value: 'S', description: 'how long a simulated growth takes (default 20)' },
    { name: 'prefix', value: 'P', description: 'device ids are PREFIX-NNNN (default sim)' },
    { name: 'first', value: 'I', description: 'the number of the first device id (default 0)' },
    { name: 'for', value: 'SEC', description: 'stop the devices after SEC seconds (default: at Ctrl-C)' },
    ...TARGET_FLAGS,
  ],
};

export const FLEET_GROUP: CommandGroup = {
  command: 'fleet',
  summary: 'The fleet side: devices, deepen, rollouts, a live view and a console, over the MQTT broker only.',
  subcommands: [DEVICES_SPEC, DEEPEN_FLEET_SPEC, ROLLOUT_SPEC, WATCH_SPEC, CONSOLE_SPEC, SIMULATE_SPEC],
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
