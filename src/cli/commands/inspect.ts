import { formatTable } from '../../cli-kit/table';
import { selectBackend } from '../../compute/backend';
import { methodCapabilities } from '../../grow/capabilities';
import { seedProblem } from '../../grow/seed';
import { ArchSpec, KerasLayer, outputReading } from '../../model/arch';
import { loadArtifacts, readModelArtifacts } from '../../model/formats';
import { describeContract, InputContract, resolveContract } from '../../model/input-contract';
import { analyseKeras } from '../../model/keras/analyse';
import { SITE_CLASSES } from '../../model/keras/classes';
import { defaultDataKind, leadingScalingLayer } from '../../model/import';
import { loadModel } from '../../model/io';
import { describeProducer, ModelOrigin, originOf } from '../../model/meta';
import { isDeependModelDir } from '../../model/open';
import { unitLayerNames } from '../../model/units';
import { tfl } from '../../tf';
import { parseArgs, UsageError } from '../../cli-kit/args';
import { importFlagsOf } from '../model-flags';
import { CommandIO, keyValues } from '../../cli-kit/output';
import { INSPECT_SPEC } from '../command-specs';

type Role = 'input' | 'frozen' | 'site' | 'unit' | 'chain' | 'output';

interface LayerRow {
  name: string;
  className: string;
  outputShape: (number | null)[];
  parameters: number;
  trainable: boolean;
  role: Role;
}

/** The numbers the model answers per instance: its output layer's units. */
function outputUnits(spec: ArchSpec): number {
  const head = outputCoreOf(spec);
  return head ? Number(head.config.units ?? head.config.filters) : spec.classes;
}

/** The output as a user reads it: how many classes, and how a class is read off one unit for two. */
function describeOutput(spec: ArchSpec): string {
  const units = outputUnits(spec);
  if (units === 1 && spec.output === 'logits') return '2 classes from one raw score (logit: class 1 when above 0)';
  if (units === 1 && spec.output === 'sigmoid') return '2 classes from one sigmoid unit (class 1 when above 0.5)';
  return `${spec.classes} classes, ${spec.output ?? 'softmax'}`;
}

function describeDepth(spec: ArchSpec, sites: string[]): string {
  if (sites.length > 0) return `${sites.length} (sites: ${sites.join(', ')})`;
  const output = outputCoreOf(spec);
  return output?.className === 'Dense'
    ? `0 (no hidden layer: growth first adds one before '${output.config.name}')`
    : '0 (no hidden layer)';
}

/** The chain's output layer: its last Dense or Conv2D. */
function outputCoreOf(spec: ArchSpec): KerasLayer | undefined {
  const layers = (spec.chain ?? []).flatMap((item) => ('layer' in item ? [item.layer] : []));
  return layers.filter((l) => SITE_CLASSES.has(l.className)).pop();
}

function outputLayerOf(spec: ArchSpec): string | undefined {
  const last = outputCoreOf(spec);
  return last ? String(last.config.name) : undefined;
}

function roles(
  model: tfl.LayersModel,
  spec: ArchSpec | undefined,
  frozenThrough: string | undefined,
): Map<string, Role> {
  const role = new Map<string, Role>();
  for (const b of spec?.blocks ?? []) {
    if (b.kind === 'res') continue;
    const unit = unitLayerNames(b);
    unit.all.forEach((n) => {
      role.set(n, n === unit.core ? 'site' : 'unit');
    });
  }
  const output = spec ? outputLayerOf(spec) : undefined;
  if (output) role.set(output, 'output');
  let frozen = frozenThrough !== undefined;
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') role.set(layer.name, 'input');
    else if (!role.has(layer.name)) role.set(layer.name, frozen ? 'frozen' : 'chain');
    if (layer.name === frozenThrough) frozen = false;
  }
  return role;
}

function outputShapeOf(layer: tfl.layers.Layer): (number | null)[] {
  const shape = layer.outputShape;
  return (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
}

/** `deepend inspect MODEL`: what deepend sees in a model and what it can grow, before anything is written. */
export async function inspectCommand(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(INSPECT_SPEC, argv, 1);
  const path = args.operands[0];
  if (!path)
    throw new UsageError(
      'name the model (a TF.js model directory, model.json, .h5 or .keras file, or a deepend model directory)',
    );
  const flags = importFlagsOf(args);
  const backend = await selectBackend();
  let model: tfl.LayersModel;
  let format: string;
  let producer: ModelOrigin['producer'] = {};
  let labels: string[] | undefined;
  let frozenThrough: string | undefined;
  let frozenReason: string | undefined;
  let problem: string | undefined;
  let contract: InputContract | undefined;
  let spec: ArchSpec | undefined;
  let depthAtImport: number | undefined;
  if (isDeependModelDir(path)) {
    const loaded = await loadModel(path);
    model = loaded.model;
    const origin = originOf(loaded.meta);
    format = `deepend model directory (${origin.format === 'deepend' ? `deepend ${loaded.meta.family}` : `imported from ${origin.format}`})`;
    producer = origin.producer ?? {};
    labels = loaded.meta.labels;
    spec = loaded.meta.arch;
    contract = loaded.meta.inputContract;
    depthAtImport = origin.depthAtImport;
    frozenThrough = loaded.meta.frozenThrough;
  } else {
    const artifacts = await readModelArtifacts(path);
    model = await loadArtifacts(artifacts);
    format = artifacts.format;
    producer = { ...artifacts.producer };
    labels = flags.labels ?? artifacts.labels;
    try {
      const analysis = analyseKeras(model, {
        freezeThrough: flags.freezeThrough,
        source: artifacts.source,
        loss: artifacts.loss,
      });
      spec = analysis.spec;
      frozenThrough = analysis.frozenThrough;
      frozenReason = analysis.frozenReason;
    } catch (err) {
      problem = (err as Error).message;
    }
    const raw = defaultDataKind(model.inputs[0].shape.slice(1)) === 'image' ? 'pixels' : 'features';
    contract = resolveContract(flags.contract ?? {}, raw, leadingScalingLayer(model));
  }
  try {
    const role = roles(model, spec, frozenThrough);
    const layers: LayerRow[] = model.layers.map((l) => ({
      name: l.name,
      className: l.getClassName(),
      outputShape: outputShapeOf(l),
      parameters: l.countParams(),
      trainable: l.trainable,
      role: role.get(l.name) ?? 'chain',
    }));
    const capabilities = spec ? methodCapabilities(spec, seedProblem(model, spec)) : [];
    const frozenLayers = layers.filter((l) => l.role === 'frozen');
    const report = {
      model: path,
      format,
      producer,
      inputShape: model.inputs[0].shape.slice(1),
      inputContract: contract ? { ...contract, formula: describeContract(contract) } : undefined,
      output: spec ? { ...outputReading(spec.output, outputUnits(spec)), classes: spec.classes } : undefined,
      labels: labels ?? null,
      depth: spec ? spec.blocks.length : null,
      depthAtImport: depthAtImport ?? null,
      sites: spec ? spec.blocks.map((b) => b.name) : [],
      frozenThrough: frozenThrough ?? null,
      frozenReason: frozenReason ?? null,
      parameters: model.countParams(),
      frozenParameters: frozenLayers.reduce((a, l) => a + l.parameters, 0),
      growable: problem === undefined && capabilities.some((c) => c.ok),
      problem: problem ?? null,
      methods: capabilities,
      backend: backend.name,
      layers,
    };
    if (io.json) {
      io.out(JSON.stringify(report));
      return 0;
    }
    const producedBy = describeProducer(producer);
    io.out(
      keyValues([
        ['model', path],
        ['format', producedBy ? `${format} (${producedBy})` : format],
        [
          'input',
          `[${report.inputShape.join(', ')}]${contract ? `, fed as ${describeContract(contract)} (${contract.reason})` : ''}`,
        ],
        ['output', spec ? describeOutput(spec) : '-'],
        [
          'labels',
          labels ? labels.join(', ') : "none found (--labels, labels.txt beside the model, or the data's classes)",
        ],
        [
          'frozen part',
          frozenThrough
            ? `through '${frozenThrough}' (${frozenReason ?? 'as imported'}): ${frozenLayers.length} layers, ${report.frozenParameters} parameters`
            : 'none',
        ],
        ['depth', spec ? describeDepth(spec, report.sites) : '-'],
        ['parameters', report.parameters],
        ['growable', problem ?? (report.growable ? 'yes' : 'no')],
        ...capabilities.map((c): [string, string] => [`  ${c.method}`, c.ok ? 'yes' : `no: ${c.reason}`]),
      ]),
    );
    const shown = layers.filter((l) => l.role !== 'frozen');
    const rows = shown.map((l) => [
      l.name,
      l.className,
      `[${l.outputShape.slice(1).join(',')}]`,
      String(l.parameters),
      l.role,
    ]);
    if (frozenLayers.length > 0)
      rows.splice(1, 0, [`(${frozenLayers.length} frozen layers)`, '', '', String(report.frozenParameters), 'frozen']);
    io.out('');
    for (const line of formatTable(['LAYER', 'CLASS', 'OUTPUT', 'PARAMS', 'ROLE'], rows, { rule: false })) io.out(line);
    return 0;
  } finally {
    model.dispose();
  }
}
