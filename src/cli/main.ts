import { CommandGroup, CommandSpec, groupHelp, helpText, subcommandSpec } from './args';
import { errorExitCode, errorLines } from './error-output';
import { CommandIO } from './output';
import { demoCommand, DEMO_SPEC } from './commands/demo';
import { evalCommand, EVAL_SPEC } from './commands/eval';
import { growCommand, GROW_SPEC } from './commands/grow';
import { inspectCommand, INSPECT_SPEC } from './commands/inspect';
import { policyCommand, POLICY_GROUP } from './commands/policy';
import { deepenCommand, DEEPEN_SPEC } from './commands/deepen';
import { jobsCommand, JOBS_SPEC } from './commands/jobs';
import { modelsCommand, MODELS_GROUP } from './commands/models';
import { rollbackCommand, ROLLBACK_SPEC } from './commands/rollback';
import { cancelCommand, CANCEL_SPEC } from './commands/cancel';
import { fleetCommand, FLEET_GROUP } from './commands/fleet';
import { startCommand, START_SPEC } from './commands/start';
import { statusCommand, STATUS_SPEC } from './commands/status';
import { trainCommand, TRAIN_SPEC } from './commands/train';
import { DAEMON_VERSION } from '../util/version';

type Command = (argv: string[], io: CommandIO) => Promise<number>;

/** Each command: what runs it, and the spec (or group of subcommand specs) its flags and help come from. */
const COMMANDS: Record<string, { run: Command; help: CommandSpec | CommandGroup }> = {
  train: { run: trainCommand, help: TRAIN_SPEC },
  grow: { run: growCommand, help: GROW_SPEC },
  eval: { run: evalCommand, help: EVAL_SPEC },
  inspect: { run: inspectCommand, help: INSPECT_SPEC },
  demo: { run: demoCommand, help: DEMO_SPEC },
  policy: { run: policyCommand, help: POLICY_GROUP },
  start: { run: startCommand, help: START_SPEC },
  status: { run: statusCommand, help: STATUS_SPEC },
  jobs: { run: jobsCommand, help: JOBS_SPEC },
  models: { run: modelsCommand, help: MODELS_GROUP },
  deepen: { run: deepenCommand, help: DEEPEN_SPEC },
  rollback: { run: rollbackCommand, help: ROLLBACK_SPEC },
  cancel: { run: cancelCommand, help: CANCEL_SPEC },
  fleet: { run: fleetCommand, help: FLEET_GROUP },
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
    'deepend COMMAND --help: its flags, one line each; deepend --version: the version',
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
  if (name === '--version') {
    process.stdout.write(`deepend ${DAEMON_VERSION}\n`);
    return 0;
  }
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
    return await command.run(rest, {
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
