/*
 * Imports flow one way: every file under src/ belongs to a layer (its
 * top-level folder, or the file itself for the few top-level files), and a
 * file imports only from its own folder or from folders in lower layers
 * (docs/ARCHITECTURE.md, "Layers"). The daemon (the device side) and the
 * fleet (the operator side) share a layer, so neither imports the other: they
 * meet only through the contract and the MQTT link below them; and the
 * operator's tools import only what runs off the device. Type-only imports
 * count too. Adding a top-level folder means adding it to LAYERS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';

const REPO = resolve(__dirname, '../..');

/** Bottom first. A folder (or top-level file, without .ts) may import the ones in earlier entries only. */
const LAYERS: readonly (readonly string[])[] = [
  ['util'],
  ['stats', 'tf', 'limits', 'growth-methods', 'cli-kit'],
  ['compute', 'data'],
  ['model', 'policy'],
  ['store', 'train', 'serve', 'config', 'contract'],
  ['grow', 'mqtt'],
  ['report'],
  ['jobs'],
  ['daemon', 'fleet'],
  ['cli'],
];

/** The two sides of the wire: neither imports the other (they share a layer; this names the rule in the message). */
const DEVICE_SIDE = 'daemon';
const OPERATOR_SIDE = 'fleet';

/**
 * What the operator's tools may import: what runs off the device. Not src/grow,
 * src/jobs or the device's other parts: a name both sides need (a growth
 * method's, a depth limit) moves below both, as src/growth-methods.ts did.
 */
const OPERATOR_MAY_IMPORT: readonly string[] = [
  'util',
  'stats',
  'limits',
  'growth-methods',
  'cli-kit',
  'config',
  'contract',
  'mqtt',
];

/**
 * The one exception to both rules: the fleet simulator (`bench:fleet`) hosts
 * simulated devices, each the device's real agent with a stand-in runner, so
 * it imports the device side.
 */
const SIMULATOR = 'src/fleet/sim/';

interface Violation {
  file: string;
  specifier: string;
  message: string;
}

/** The module specifiers a TypeScript file imports: import/export ... from, side-effect imports, import(), require(). */
function importSpecifiers(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) found.push(m[1]);
  return found;
}

const rank = new Map<string, number>(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as [string, number])));

/** The layer name of a path under src/ (posix, relative to the repository): its top-level folder or file. */
function layerOf(path: string): string {
  const first = path.split('/')[1] ?? '';
  return first.replace(/\.(ts|json)$/, '');
}

/** Every import that runs up the layers, across the divide, or to a folder with no layer, in the given files. */
function checkImports(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  for (const [file, text] of files) {
    const from = layerOf(file);
    for (const specifier of importSpecifiers(text)) {
      if (!specifier.startsWith('.')) continue; // a package
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      const say = (why: string) =>
        violations.push({ file, specifier, message: `${file} imports '${specifier}': ${why}` });
      if (!target.startsWith('src/')) {
        say('outside src/');
        continue;
      }
      const to = layerOf(target);
      if (to === from) continue;
      const [rf, rt] = [rank.get(from), rank.get(to)];
      if (rf === undefined || rt === undefined) {
        say(`src/${rf === undefined ? from : to} has no layer (add it to LAYERS in test/import-direction.test.ts)`);
        continue;
      }
      const simulator = file.startsWith(SIMULATOR);
      if (rt < rf) {
        if (from === OPERATOR_SIDE && !simulator && !OPERATOR_MAY_IMPORT.includes(to))
          say(`the operator side imports only ${OPERATOR_MAY_IMPORT.join(', ')}; src/${to} is the device's`);
        continue;
      }
      if (simulator && to === DEVICE_SIDE) continue;
      if ((from === DEVICE_SIDE && to === OPERATOR_SIDE) || (from === OPERATOR_SIDE && to === DEVICE_SIDE))
        say(`crosses the device/operator divide (src/${from} -> src/${to}); share it through src/contract or src/mqtt`);
      else if (rt === rf) say(`src/${from} and src/${to} share a layer and may not import each other`);
      else say(`src/${from} (layer ${rf}) may not import the higher src/${to} (layer ${rt})`);
    }
  }
  return violations;
}

/** Every .ts file under the repository's `rel` folder, by its posix path from the repository root. */
function sourceFiles(rel: string, files = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(join(REPO, rel), { withFileTypes: true })) {
    const path = `${rel}/${entry.name}`;
    if (entry.isDirectory()) sourceFiles(path, files);
    else if (entry.isFile() && entry.name.endsWith('.ts')) files.set(path, readFileSync(join(REPO, path), 'utf8'));
  }
  return files;
}

test('import direction: every import under src/ goes down the layers, and neither side of the wire imports the other', () => {
  const files = sourceFiles('src');
  assert.ok(files.size > 300, `read ${files.size} files under src/`);
  const imports = [...files.values()].reduce((n, text) => n + importSpecifiers(text).length, 0);
  assert.ok(imports > 1000, `found ${imports} imports`);
  const seen = new Set([...files.keys()].map(layerOf));
  for (const layer of seen) assert.ok(rank.has(layer), `src/${layer} has no layer in LAYERS`);
  const violations = checkImports(files);
  assert.deepEqual(
    violations.map((v) => v.message),
    [],
    `imports against the layers:\n${violations.map((v) => v.message).join('\n')}`,
  );
});

test('import direction: the check fails on a synthetic violation, naming the file and the import', () => {
  const files = new Map([
    ['src/model/bad.ts', "import { Daemon } from '../daemon/daemon';\n"],
    ['src/daemon/bad.ts', "import type {\n  RolloutPlan,\n} from '../fleet/cli/rollout-plan';\n"],
    ['src/fleet/cli/bad.ts', "const agent = require('../../daemon/fleet/agent');\n"],
    ['src/grow/bad.ts', "export { x } from '../policy/gate';\nimport '../jobs/runner';\n"],
    ['src/store/bad.ts', "const t = await import('../train/loop');\n"],
    ['src/newpart/bad.ts', "import { x } from '../util/log';\n"],
    ['src/fleet/cli/methods.ts', "import { GROWTH_METHODS } from '../../grow/types';\n"],
  ]);
  const messages = checkImports(files).map((v) => v.message);
  assert.deepEqual(messages, [
    "src/model/bad.ts imports '../daemon/daemon': src/model (layer 3) may not import the higher src/daemon (layer 8)",
    "src/daemon/bad.ts imports '../fleet/cli/rollout-plan': crosses the device/operator divide (src/daemon -> src/fleet); share it through src/contract or src/mqtt",
    "src/fleet/cli/bad.ts imports '../../daemon/fleet/agent': crosses the device/operator divide (src/fleet -> src/daemon); share it through src/contract or src/mqtt",
    "src/grow/bad.ts imports '../jobs/runner': src/grow (layer 5) may not import the higher src/jobs (layer 7)",
    "src/store/bad.ts imports '../train/loop': src/store and src/train share a layer and may not import each other",
    "src/newpart/bad.ts imports '../util/log': src/newpart has no layer (add it to LAYERS in test/import-direction.test.ts)",
    "src/fleet/cli/methods.ts imports '../../grow/types': the operator side imports only util, stats, limits, growth-methods, cli-kit, config, contract, mqtt; src/grow is the device's",
  ]);
});

test("import direction: downward imports, packages, the same folder and the simulator's devices pass", () => {
  const files = new Map([
    ['src/cli/ok.ts', "import { Daemon } from '../daemon/daemon';\nimport { x } from '../fleet/cli/rollout';\n"],
    ['src/daemon/fleet/ok.ts', "import { MqttLink } from '../../mqtt/link';\nimport mqtt from 'mqtt';\n"],
    [
      'src/fleet/sim/ok.ts',
      "import { FleetAgent } from '../../daemon/fleet/agent';\nimport { openStore } from '../../store';\nimport { y } from '../cli/session';\n",
    ],
    ['src/config/ok.ts', "import { lineOf } from '../policy/positions';\n"],
    ['src/grow/ok.ts', "import { tf } from '../tf';\nimport { GROWTH_METHODS } from '../growth-methods';\n"],
  ]);
  assert.deepEqual(checkImports(files), []);
});
