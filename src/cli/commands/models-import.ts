import { mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { selectBackend } from '../../compute/backend';
import { loadConfig } from '../../config';
import { ControlClient, NoDaemonError } from '../../daemon/control-client';
import type { JobView } from '../../daemon/status';
import { commitImported, prepareUserModel } from '../../daemon/user-model';
import { candidateDir } from '../../store/model-dirs';
import { openStore } from '../../store';
import { parseArgs, UsageError } from '../../cli-kit/args';
import { importFlagsOf } from '../model-flags';
import { CommandIO, pct } from '../../cli-kit/output';
import { MODELS_IMPORT_SPEC } from '../command-specs';

/**
 * `deepend models import PATH`: the user's model becomes the next committed
 * version of the daemon's model. It is read, checked and measured on the
 * daemon's data here, in the CLI's process, and written under the home's
 * candidates; a running daemon then registers it and swaps to it without
 * dropping a request, and with no daemon running it is committed directly.
 */
export async function importCommand(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(MODELS_IMPORT_SPEC, argv, 1);
  const path = args.operands[0];
  if (!path) throw new UsageError('name the model (a TF.js model directory, model.json, .h5 or .keras file)');
  const { config } = loadConfig({ file: args.values.get('config') });
  if (args.values.has('home')) config.home = resolve(args.values.get('home')!);
  if (args.values.has('name')) config.model.name = args.values.get('name')!;
  const backend = await selectBackend();
  const dir = candidateDir(config.home, config.model.name, `import-${Date.now()}`);
  mkdirSync(dirname(dir), { recursive: true });
  try {
    const meta = await prepareUserModel(config, resolve(path), importFlagsOf(args), backend.name, dir);
    const client = new ControlClient(config.home);
    let version: number;
    let job: JobView | undefined;
    try {
      ({ version, job } = await client.ok<{ version: number; job: JobView }>('POST', '/models/import', { dir }));
    } catch (err) {
      if (!(err instanceof NoDaemonError)) throw err;
      // No reconcile here: it would clear the candidates, this one included; the daemon reconciles when it starts.
      const store = openStore(config.home);
      try {
        version = commitImported(config, store, dir, meta.origin?.source ?? path).version;
      } finally {
        store.close();
      }
    }
    const summary = {
      model: config.model.name,
      version,
      depth: meta.depth,
      accuracy: meta.metrics.accuracy ?? null,
      origin: meta.origin,
      job: job ?? null,
    };
    if (io.json) io.out(JSON.stringify(summary));
    else {
      let served = ' (no daemon running: committed for its next start)';
      if (job)
        served =
          job.state === 'succeeded'
            ? `, now serving v${version}`
            : `, but the swap ended ${job.state}: ${job.reason ?? ''}`;
      io.out(
        `imported ${path} as ${config.model.name} v${version}: depth ${meta.depth}, held-out ${meta.metrics.accuracy !== undefined ? pct(meta.metrics.accuracy) : '-'}${served}`,
      );
    }
    return job && job.state !== 'succeeded' ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
