import { join, resolve } from 'node:path';
import { parseArgs } from '../args';
import { CommandIO } from '../output';
import { growCommand } from './grow';

export const DEFAULT_MODEL_DIR = resolve(__dirname, '../../../../models/default');
export const DEMO_USAGE = 'deepend demo [--method M] [--to-depth N] [--budget-seconds S] [--out DIR] [--json]';

/**
 * The main job on embedded defaults: grow the shipped model on the shipped
 * MNIST digits with DILS and print the result (until the daemon takes over).
 */
export async function demoCommand(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs('demo', argv, { values: ['method', 'to-depth', 'budget-seconds', 'out'], switches: ['json'] });
  const out = args.values.get('out') ?? join('runs', `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  if (!io.json) io.err.write(`deepend demo: growing ${DEFAULT_MODEL_DIR} on mnist into ${out}\n`);
  return growCommand(
    [
      '--model',
      DEFAULT_MODEL_DIR,
      '--data',
      'mnist',
      '--to-depth',
      args.values.get('to-depth') ?? '4',
      '--method',
      args.values.get('method') ?? 'dils',
      '--budget-seconds',
      args.values.get('budget-seconds') ?? '60',
      '--out',
      out,
      ...(io.json ? ['--json'] : []),
    ],
    io,
  );
}
