import { formatTable } from '../../cli-kit/table';
import { parseArgs } from '../../cli-kit/args';
import { CommandIO, pct } from '../../cli-kit/output';
import { clientFor } from '../../daemon/control-client';
import type { versionView } from '../../daemon/status';
import { importCommand } from './models-import';
import { MODELS_LIST_SPEC } from '../command-specs';

type VersionView = ReturnType<typeof versionView> & { origin: string | null };

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
    methodLabel(v),
    v.accuracy === null ? '-' : pct(v.accuracy),
    v.parent === null ? '-' : `v${v.parent}`,
    v.createdAt,
  ]);
  io.out(`model ${answer.name}, serving v${answer.serving ?? '-'} (* committed)`);
  const headers = ['  VERSION', 'DEPTH', 'METHOD', 'ACCURACY', 'PARENT', 'CREATED'];
  for (const line of formatTable(headers, rows, { rule: false })) io.out(line);
  return 0;
}

/** The growth method, or for a version that started its lineage how it came: imported (and from what) or deepend's own. */
function methodLabel(v: VersionView): string {
  if (v.method !== null) return v.method;
  return v.origin && v.origin !== 'deepend' ? `imported ${v.origin}` : 'shipped';
}
