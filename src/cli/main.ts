import { UsageError } from './args';
import { CommandIO } from './output';
import { demoCommand, DEMO_USAGE } from './commands/demo';
import { evalCommand, EVAL_USAGE } from './commands/eval';
import { growCommand, GROW_USAGE } from './commands/grow';
import { inspectCommand, INSPECT_USAGE } from './commands/inspect';
import { policyCommand, POLICY_USAGE } from './commands/policy';
import { deepenCommand, DEEPEN_USAGE } from './commands/deepen';
import { jobsCommand, JOBS_USAGE } from './commands/jobs';
import { modelsCommand, MODELS_USAGE } from './commands/models';
import { rollbackCommand, ROLLBACK_USAGE } from './commands/rollback';
import { cancelCommand, CANCEL_USAGE } from './commands/cancel';
import { fleetCommand, FLEET_USAGE } from './commands/fleet';
import { startCommand, START_USAGE } from './commands/start';
import { statusCommand, STATUS_USAGE } from './commands/status';
import { trainCommand, TRAIN_USAGE } from './commands/train';
import { AbortedError } from '../train/progress';

type Command = (argv: string[], io: CommandIO) => Promise<number>;

const COMMANDS: Record<string, { run: Command; usage: string }> = {
  train: { run: trainCommand, usage: TRAIN_USAGE },
  grow: { run: growCommand, usage: GROW_USAGE },
  eval: { run: evalCommand, usage: EVAL_USAGE },
  inspect: { run: inspectCommand, usage: INSPECT_USAGE },
  demo: { run: demoCommand, usage: DEMO_USAGE },
  policy: { run: policyCommand, usage: POLICY_USAGE },
  start: { run: startCommand, usage: START_USAGE },
  status: { run: statusCommand, usage: STATUS_USAGE },
  jobs: { run: jobsCommand, usage: JOBS_USAGE },
  models: { run: modelsCommand, usage: MODELS_USAGE },
  deepen: { run: deepenCommand, usage: DEEPEN_USAGE },
  rollback: { run: rollbackCommand, usage: ROLLBACK_USAGE },
  cancel: { run: cancelCommand, usage: CANCEL_USAGE },
  fleet: { run: fleetCommand, usage: FLEET_USAGE },
};

function usage(): string {
  return [
    'usage:',
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}`),
    'environment: DEEPEND_BACKEND=tensorflow|wasm|cpu forces a TF.js backend',
  ].join('\n');
}

/** Runs one CLI command; every failure is one line on stderr and a non-zero exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`deepend: unknown command '${name}'\n${usage()}\n`);
    return 2;
  }
  if (rest.includes('--help')) {
    process.stdout.write(`usage: ${command.usage}\n`);
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
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    process.stderr.write(`deepend ${name}: ${message}\n`);
    if (err instanceof UsageError) return 2;
    if (err instanceof AbortedError) return 130;
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
