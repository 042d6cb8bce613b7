import { join, resolve } from 'node:path';
import { numberFlag, parseArgs } from '../../cli-kit/args';
import { CommandIO } from '../../cli-kit/output';
import { growCommand, methodFlag } from './grow';
import { DEMO_SPEC } from '../command-specs';

export const DEFAULT_MODEL_DIR = resolve(__dirname, '../../../../models/default');

/**
 * The main job on embedded defaults: grow the shipped model on the shipped
 * MNIST digits with DILS and print the result (until the daemon takes over).
 */
export async function demoCommand(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(DEMO_SPEC, argv);
  // Checked before anything is printed: a usage error is the only output.
  const method = methodFlag(args.values.get('method') ?? 'dils');
  const toDepth = numberFlag(args, 'to-depth', { integer: true, min: 1 }) ?? 4;
  const seconds = numberFlag(args, 'budget-seconds', { min: 1 }) ?? 60;
  const out = args.values.get('out') ?? join('runs', `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  if (!io.json) io.err.write(`deepend demo: growing ${DEFAULT_MODEL_DIR} on mnist into ${out}\n`);
  return growCommand(
    [
      '--model',
      DEFAULT_MODEL_DIR,
      '--data',
      'mnist',
      '--to-depth',
      String(toDepth),
      '--method',
      method,
      '--budget-seconds',
      String(seconds),
      '--out',
      out,
      ...(io.json ? ['--json'] : []),
    ],
    io,
  );
}
