import { Block, KerasLayer } from '../arch';

function snake(className: string): string {
  return className.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The name of the n-th block deepend adds to an imported chain, from its core's class: dense_deepend_1, conv2d_deepend_2, ... */
export function kerasBlockName(prev: Block, id: number): string {
  const core = prev.kind !== 'res' && prev.keras ? prev.keras.layers[0].className : 'Dense';
  return `${snake(core)}_deepend_${id}`;
}

/** The core of a new block: the site's layer with its width and activation, 3x3 / same / stride 1 for a conv. */
function newCore(core: KerasLayer, name: string): KerasLayer {
  const config: Record<string, unknown> = { ...core.config, name, trainable: true };
  if (core.className === 'Conv2D')
    Object.assign(config, { kernelSize: [3, 3], strides: [1, 1], padding: 'same', dilationRate: [1, 1] });
  delete config.batchInputShape;
  delete config.inputShape;
  return { className: core.className, config };
}

/**
 * A block that maps the site's output to the same shape, made like the site:
 * the same core class, width and activation, and copies of its BatchNorm and
 * activation layers (fresh weights), named after the new block.
 */
export function kerasUnitAfter(prev: Block, name: string): Block {
  if (prev.kind === 'res' || !prev.keras) throw new Error(`block ${prev.name} is not an imported unit`);
  const [core, ...followers] = prev.keras.layers;
  const layers = [
    newCore(core, name),
    ...followers.map((l, i) => ({
      className: l.className,
      config: {
        ...l.config,
        name: `${name}_${l.className === 'BatchNormalization' ? 'bn' : 'act'}${followers.length > 2 ? i : ''}`,
        trainable: true,
      },
    })),
  ];
  const keras = { layers };
  if (prev.kind === 'dense') return { ...prev, name, keras };
  return { ...prev, name, kernel: 3, keras };
}

/**
 * Morphism's owner unit (eq. 8): the core without its activation, its
 * BatchNorm, then a PReLU that morphism starts at a = 1. A PReLU the unit
 * already ends in keeps its name, so its learned a is carried over to be moved
 * to the new block. Needs the activation after the BatchNorm, as eq. 8-9 do.
 */
export function kerasUnitWithPrelu(block: Block): Block {
  if (block.kind === 'res' || !block.keras) throw new Error(`block ${block.name} is not an imported unit`);
  const [core, ...followers] = block.keras.layers;
  const bnAt = followers.findIndex((l) => l.className === 'BatchNormalization');
  const acts = followers.filter((l) => l.className !== 'BatchNormalization');
  if (bnAt > 0 || (bnAt === 0 && core.config.activation !== 'linear' && core.config.activation !== undefined)) {
    throw new Error(
      `morphism needs the activation after the BatchNorm; the unit of ${block.name} applies an activation before it`,
    );
  }
  const last = acts[acts.length - 1];
  const prelu: KerasLayer =
    last?.className === 'PReLU'
      ? last
      : {
          className: 'PReLU',
          config: {
            name: `${block.name}_prelu`,
            trainable: true,
            alphaInitializer: { className: 'Ones', config: {} },
            alphaRegularizer: null,
            alphaConstraint: null,
            sharedAxes: block.kind === 'conv' ? [1, 2] : null,
          },
        };
  const layers = [
    { className: core.className, config: { ...core.config, activation: 'linear' } },
    ...(bnAt === 0 ? [followers[0]] : []),
    prelu,
  ];
  return { ...block, activation: 'prelu', keras: { layers } };
}
