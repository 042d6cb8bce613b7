import { tfl } from '../../tf';
import { ArchSpec, Block, ChainItem, isOneUnitBinary, KerasLayer, OutputKind } from '../arch';
import { isBinaryFromLogits, isBinaryLoss, TrainingLoss } from '../formats';
import { SITE_CLASSES, UNIT_FOLLOWER_CLASSES, unitActivation } from './classes';
import { walkChain } from './chain-walk';
import { describeLayer } from './layer-factory';

/** What deepend makes of an imported model: the frozen part, the chain it grows, its sites and its output. */
export interface KerasAnalysis {
  /** The trainable chain as an architecture spec (family 'keras'); its input is the frozen part's output. */
  spec: ArchSpec;
  /** Last layer of the frozen part, when there is one. */
  frozenThrough?: string;
  frozenReason?: string;
  /** The output layer (the chain's last Dense or Conv2D). */
  outputLayer: string;
}

function perSampleShape(tensor: tfl.SymbolicTensor, what: string, source: string): number[] {
  const shape = tensor.shape.slice(1);
  if (shape.some((d) => d === null || d === undefined))
    throw new Error(
      `${source}: ${what} has an unknown dimension [${shape.join(', ')}]; deepend needs a fixed input size`,
    );
  return shape as number[];
}

/** k outputs trained with binary cross-entropy answer k independent yes/no questions; deepend's data name one class. */
function multiLabel(core: KerasLayer, units: number, loss: TrainingLoss, source: string): Error {
  const what = loss.fromLogits ? `${units} raw scores` : `${units} sigmoids`;
  return new Error(
    `${source}: the output layer '${core.config.name}' is ${what} trained with ${loss.name}${loss.fromLogits ? ' from logits' : ''}: ${units} independent yes/no answers (multi-label), while deepend grows classifiers that name one class per sample`,
  );
}

function outputKindOf(
  tail: KerasLayer[],
  source: string,
  loss: TrainingLoss | undefined,
): { output: OutputKind; units: number } {
  const core = tail[0];
  const units = Number(core.className === 'Dense' ? core.config.units : core.config.filters);
  const last = [...tail]
    .reverse()
    .find((l) => l.className === 'Softmax' || l.className === 'Activation' || l === core)!;
  const activation = last.className === 'Softmax' ? 'softmax' : String(last.config.activation ?? 'linear');
  switch (activation) {
    case 'softmax':
      return { output: 'softmax', units };
    case 'sigmoid':
      if (units > 1 && isBinaryLoss(loss)) throw multiLabel(core, units, loss!, source);
      return { output: 'sigmoid', units };
    case 'linear':
      if (units === 1 && !isBinaryFromLogits(loss))
        throw new Error(
          `${source}: the output layer '${core.config.name}' is one linear unit, and the file ${loss ? `says it was trained with ${loss.name}${loss.fromLogits ? ' from logits' : ''}` : 'keeps no training loss'}: a regression, which deepend does not grow (a two-class model trained from logits is taken when the file was saved compiled with BinaryCrossentropy(from_logits=True))`,
        );
      if (units > 1 && isBinaryFromLogits(loss)) throw multiLabel(core, units, loss!, source);
      return { output: 'logits', units };
    default:
      throw new Error(
        `${source}: the output layer '${core.config.name}' ends in ${activation}; deepend grows classifiers whose output is softmax, sigmoid or raw scores (logits)`,
      );
  }
}

function blockOf(unit: KerasLayer[]): Block {
  const core = unit[0];
  const name = String(core.config.name);
  const activation = unitActivation(unit);
  const keras = { layers: unit };
  if (core.className === 'Dense') return { kind: 'dense', name, units: Number(core.config.units), activation, keras };
  const kernel = core.config.kernelSize as number[];
  return {
    kind: 'conv',
    name,
    filters: Number(core.config.filters),
    kernel: kernel[0],
    batchNorm: unit[1]?.className === 'BatchNormalization',
    activation,
    poolAfter: false,
    keras,
  };
}

/**
 * The id of the next block deepend adds: past every `NAME_deepend_N` the model has already. A model deepend grew,
 * read again without its meta.json (its model.keras, or model.json alone), must not get a second dense_deepend_1.
 */
function firstFreeBlockId(model: tfl.LayersModel): number {
  let highest = 0;
  for (const layer of model.layers) {
    const id = /_deepend_(\d+)(?:_|$)/.exec(layer.name)?.[1];
    if (id !== undefined) highest = Math.max(highest, Number(id));
  }
  return highest + 1;
}

/**
 * Reads the growable structure of a model: walks the chain at its end (see
 * chain-walk.ts), takes the last Dense/Conv2D as the output layer and every
 * Dense/Conv2D before it, with the BatchNormalization and activation layers
 * right after it, as a block (a growth site). Depth = the number of sites.
 */
export function analyseKeras(
  model: tfl.LayersModel,
  options: { freezeThrough?: string; source?: string; loss?: TrainingLoss } = {},
): KerasAnalysis {
  const source = options.source ?? 'the model';
  const walk = walkChain(model, options.freezeThrough, source);
  const layers = walk.chain.map(describeLayer);
  const lastCore = layers.map((l) => SITE_CLASSES.has(l.className)).lastIndexOf(true);
  if (lastCore === -1) {
    const where = walk.frozenThrough ? ` after the frozen part (through '${walk.frozenThrough.name}')` : '';
    throw new Error(`${source}: no trainable Dense or Conv2D layer${where}; there is nothing deepend can grow`);
  }
  const tail = layers.slice(lastCore);
  if (tail.slice(1).some((l) => SITE_CLASSES.has(l.className)))
    throw new Error(`${source}: internal error: output layer not last`);
  const { output, units } = outputKindOf(tail, source, options.loss);
  const blocks: Block[] = [];
  const chain: ChainItem[] = [];
  for (let i = 0; i < lastCore; ) {
    const layer = layers[i];
    if (!SITE_CLASSES.has(layer.className)) {
      chain.push({ layer });
      i++;
      continue;
    }
    let end = i + 1;
    while (end < lastCore && UNIT_FOLLOWER_CLASSES.has(layers[end].className)) end++;
    const block = blockOf(layers.slice(i, end));
    blocks.push(block);
    chain.push({ block: block.name });
    i = end;
  }
  tail.forEach((layer) => {
    chain.push({ layer });
  });
  const input = walk.frozenOutput ?? model.inputs[0];
  const inputShape = perSampleShape(
    input,
    walk.frozenThrough ? `the output of '${walk.frozenThrough.name}'` : 'the input',
    source,
  );
  const inputName = walk.frozenThrough
    ? `${walk.frozenThrough.name}_features`
    : (model.inputs[0].sourceLayer as tfl.layers.Layer).name;
  const spec: ArchSpec = {
    family: 'keras',
    inputShape,
    classes: isOneUnitBinary(output, units) ? 2 : units,
    output,
    blocks,
    chain,
    inputName,
    nextBlockId: firstFreeBlockId(model),
  };
  return {
    spec,
    frozenThrough: walk.frozenThrough?.name,
    frozenReason: walk.frozenReason,
    outputLayer: String(tail[0].config.name),
  };
}
