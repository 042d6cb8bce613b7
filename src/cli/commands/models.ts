import { CommandGroup, CommandSpec, parseArgs } from '../args';
import { DAEMON_FLAGS } from '../common-flags';
import { CommandIO, pct } from '../output';
import { clientFor } from '../../daemon/control-client';
import type { versionView } from '../../daemon/status';
import { importCommand, MODELS_IMPORT_SPEC } from './models-import';

export const MODELS_LIST_SPEC: CommandSpec = {
  command: 'models',
  summary: "Lists the versions of the daemon's model; * marks the committed one.",
  flags: DAEMON_FLAGS,
};

export const MODELS_GROUP: CommandGroup = {
  command: 'models',
  summary: "The daemon's model versions, and importing your own model as the next one.",
  subcommands: [MODELS_LIST_SPEC, MODELS_IMPORT_SPEC],
};

type VersionView = ReturnType<typeof versionView>;

/** `deepend models`: the versions of the served model; `*` marks the committed one. `deepend models import`: see importCommand. */
export async function modelsCommand(argv: string[], io: CommandIO): Promise<number> {
  if (argv[0] === 'import') return importCommand(argv.slice(1), io);
  const args = parseArgs(MODELS_LIST_SPEC, argv);
  const answer = await clientFor({ config: args.values.get('config'), home: args.values.get('home') }).ok<{
    name: string;
    serving: number | null;
    versions: VersionView[];
  }>('GET', '/models');
  if (io.json) {
    io.out(JSON.stringify(answer));
    return 0;
  }
  const rows = answer.versions.map((v) => [
    `${v.committed ? '*' : ' '} v${v.version}`,
    String(v.depth),
    v.method ?? 'shipped',
    v.accuracy === null ? '-' : pct(v.accuracy),
    v.parent === null ? '-' : `v${v.parent}`,
    v.createdAt,
  ]);
  const all = [['  VERSION', 'DEPTH', 'METHOD', 'ACCURACY', 'PARENT', 'CREATED'], ...rows];
  const widths = all[0].map((_, i) => Math.max(...all.map((r) => r[i].length)));
  io.out(`model ${answer.name}, serving v${answer.serving ?? '-'} (* committed)`);
  for (const r of all)
    io.out(
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
  return 0;
}
