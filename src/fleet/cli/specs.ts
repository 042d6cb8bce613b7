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
    'An upgrade for a fleet or a group, a canary then batches or in waves, stopping on failures or on the gains the devices measured; resumable.',
  flags: [
    { ...TO_DEPTH_FLAG, required: RESUME_OR },
    {
      name: 'canary',
      value: 'PCT',
      description: 'share of devices in the first batch (0: no canary)',
      required: 'unless --resume or --waves',
      or: 'waves',
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
      description:
        "how long to wait for a batch's reports (default 1800); silent devices are pending, not failed; devices offline before the batch are not waited for",
    },
    {
      name: 'state',
      value: 'FILE',
      description: 'the rollout state database (default: fleet-rollouts.db in the home)',
    },
    {
      name: 'resume',
      value: 'ROLLOUTID',
      description:
        'continue an interrupted rollout with its saved parameters (from the state file, else its retained rollout topic)',
    },
    ...TARGET_FLAGS,
    JSON_FLAG,
  ],
};

export const CONTROL_SPEC: CommandSpec = {
  command: 'fleet control',
  operands: 'ROLLOUTID pause|resume|abort',
  summary:
    'Holds a running rollout before its next wave (pause), lets it go on (resume) or stops it (abort), whichever console or CLI runs it.',
  flags: [...TARGET_FLAGS, JSON_FLAG],
};

export const WATCH_SPEC: CommandSpec = {
  command: 'fleet watch',
  summary:
    "A live table of the fleet's devices and running jobs (with each job's rollout), redrawn as messages come (Ctrl-C quits).",
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
