import { tf } from '../../tf';
import { avgPoolGradConfig } from './avg-pool-grad';
import { batchMatMulConfig } from './batch-mat-mul';
import { fusedBatchNormConfig } from './batch-norm';
import { channelBinaryConfigs } from './channel-binary';
import { conv2DConfig, fusedConv2DConfig } from './conv2d';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input';
import { castConfig, identityConfig } from './identity';
import { gatherV2Config } from './gather';
import { maxPoolGradConfig } from './max-pool-grad';
import { sliceConfig } from './slice';
import { meanConfig, sumConfig } from './reduce-leading';
import { tileConfig } from './tile';
import { captureUpstream } from './upstream';

/** Upstream wasm kernels ours are built from or fall back to; captured (with those we replace) before any is replaced. */
const BUILDING_BLOCKS = [
  tf.Transpose,
  tf.AvgPoolGrad,
  tf.Conv2D,
  tf.FusedConv2D,
  tf.BatchMatMul,
  tf.Conv2DBackpropInput,
  tf.Sum,
  tf.Mean,
  tf.Slice,
  tf.Tile,
  tf.Identity,
  tf.Cast,
  tf.FusedBatchNorm,
  tf.GatherV2,
  tf.Add,
  tf.Sub,
  tf.Multiply,
  tf.RealDiv,
];

const KERNELS: tf.KernelConfig[] = [
  avgPoolGradConfig,
  batchMatMulConfig,
  castConfig,
  ...channelBinaryConfigs,
  conv2DConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  fusedBatchNormConfig,
  fusedConv2DConfig,
  gatherV2Config,
  identityConfig,
  maxPoolGradConfig,
  meanConfig,
  sliceConfig,
  sumConfig,
  tileConfig,
];

const ours = new Set<tf.KernelConfig>();

/**
 * Registers deepend's training kernels for the 'wasm' backend: the missing
 * Conv2DBackpropFilter and faster replacements for upstream's naive loops.
 * Call after requiring @tensorflow/tfjs-backend-wasm; safe to call again.
 */
export function registerWasmTrainingKernels(): void {
  // Only before the first replacement: later calls would capture our own kernels.
  if (ours.size === 0)
    captureUpstream(
      BUILDING_BLOCKS,
      KERNELS.map((k) => k.kernelName),
    );
  for (const config of KERNELS) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current && ours.has(current)) continue;
    // Keep the replaced kernel's setup: it binds the wasm function our fallbacks call.
    const replacement = { ...config, setupFunc: current?.setupFunc };
    if (current) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(replacement);
    ours.add(replacement);
  }
}

/** Kernel names deepend provides for wasm, for reports and tests. */
export const WASM_TRAINING_KERNELS: readonly string[] = KERNELS.map((k) => k.kernelName);

export { replacedUpstream } from './upstream';
export { useSimdLoops } from './wasm-backend';
