import { CommandGroup, CommandSpec, groupHelp, helpText, subcommandSpec } from '../cli-kit/args';
import {
  CANCEL_SPEC,
  DEEPEN_SPEC,
  DEMO_SPEC,
  EVAL_SPEC,
  FLEET_GROUP,
  GROW_SPEC,
  INSPECT_SPEC,
  JOBS_SPEC,
  MODELS_GROUP,
  POLICY_GROUP,
  ROLLBACK_SPEC,
  START_SPEC,
  STATUS_SPEC,
  TRAIN_SPEC,
} from './command-specs';
import { errorExitCode, errorLines } from './error-output';
import { CommandIO } from '../cli-kit/output';
import { DAEMON_VERSION } from '../util/version';

type Command = (argv: string[], io: CommandIO) => Promise<number>;

/**
 * Each command: the spec (or group of subcommand specs) its flags and help come from, and how to load
 * what runs it. Only the command that runs is loaded: help, --version and `deepend status` never load TF.js.
 */
const COMMANDS: Record<string, { help: CommandSpec | CommandGroup; load: () => Promise<Command> }> = {
  train: { help: TRAIN_SPEC, load: async () => (await import('./commands/train')).trainCommand },
  grow: { help: GROW_SPEC, load: async () => (await import('./commands/grow')).growCommand },
  eval: { help: EVAL_SPEC, load: async () => (await import('./commands/eval')).evalCommand },
  inspect: { help: INSPECT_SPEC, load: async () => (await import('./commands/inspect')).inspectCommand },
  demo: { help: DEMO_SPEC, load: async () => (await import('./commands/demo')).demoCommand },
  policy: { help: POLICY_GROUP, load: async () => (await import('./commands/policy')).policyCommand },
  start: { help: START_SPEC, load: async () => (await import('./commands/start')).startCommand },
  status: { help: STATUS_SPEC, load: async () => (await import('./commands/status')).statusCommand },
  jobs: { help: JOBS_SPEC, load: async () => (await import('./commands/jobs')).jobsCommand },
  models: { help: MODELS_GROUP, load: async () => (await import('./commands/models')).modelsCommand },
  deepen: { help: DEEPEN_SPEC, load: async () => (await import('./commands/deepen')).deepenCommand },
  rollback: { help: ROLLBACK_SPEC, load: async () => (await import('./commands/rollback')).rollbackCommand },
  cancel: { help: CANCEL_SPEC, load: async () => (await import('./commands/cancel')).cancelCommand },
  fleet: { help: FLEET_GROUP, load: async () => (await import('./commands/fleet')).fleetCommand },
};

function isGroup(help: CommandSpec | CommandGroup): help is CommandGroup {
  return 'subcommands' in help;
}

/** `deepend --help`: every command with its one line. */
function overview(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    'usage: deepend COMMAND [FLAGS]',
    '',
    ...names.map((name) => `  ${name.padEnd(width)}  ${COMMANDS[name].help.summary}`),
    '',
    'deepend COMMAND --help (or deepend help COMMAND): its flags, one line each; deepend --version (-v): the version',
    'environment: DEEPEND_BACKEND=tensorflow|wasm|cpu forces a TF.js backend',
  ].join('\n');
}

/** The help of the command, or of the subcommand its first operand names (`fleet rollout --help`). */
function helpOf(help: CommandSpec | CommandGroup, rest: string[]): string {
  if (!isGroup(help)) return helpText(help);
  const spec = subcommandSpec(help, rest[0]);
  return spec ? helpText(spec) : groupHelp(help);
}

/** Runs one CLI command; every failure is one line per problem on stderr and a non-zero exit code (2: usage). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`deepend ${DAEMON_VERSION}\n`);
    return 0;
  }
  if (name === 'help' && rest[0] !== undefined) return main([...rest, '--help']);
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${overview()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`deepend: unknown command '${name}'\n${overview()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${helpOf(command.help, rest)}\n`);
    return 0;
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const json = rest.includes('--json');
  try {
    const run = await command.load();
    return await run(rest, {
      json,
      out: (line) => process.stdout.write(`${line}\n`),
      err: process.stderr,
      signal: controller.signal,
    });
  } catch (err) {
    for (const line of errorLines(err)) process.stderr.write(`deepend ${name}: ${line}\n`);
    return errorExitCode(err);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
