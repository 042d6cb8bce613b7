import { firstLine } from '../util/deepend-error';
import { availableParallelism } from 'node:os';
import { tf, tfl } from '../tf';
import { DataParallelTrainer } from '../compute/data-parallel';
import type { LossSpec } from '../compute/data-parallel/losses';
import type { OutputKind } from '../model/arch';

/** The worker threads' loss for a classifier's output kind (src/train/output-losses.ts). */
function lossOf(output: OutputKind | undefined): LossSpec | undefined {
  const module = require.resolve('../train/output-losses');
  if (output === undefined || output === 'softmax') return { module, export: 'softmaxLoss' };
  if (output === 'logits') return { module, export: 'logitsLoss' };
  if (output === 'sigmoid') return { module, export: 'sigmoidLoss' };
  return undefined;
}

/**
 * Worker threads for Stage II's steps where they can help: more than one core,
 * and a backend that uses one (wasm, cpu; native TensorFlow and WebGPU already
 * spread their work). Undefined where there is nothing to share; `refused`
 * says why a start that should have worked did not (the caller trains alone).
 */
export async function startSharing(
  model: tfl.LayersModel,
  output: OutputKind | undefined,
): Promise<{ trainer: DataParallelTrainer } | { refused: string } | undefined> {
  const backend = tf.getBackend();
  if (availableParallelism() < 2 || (backend !== 'wasm' && backend !== 'cpu')) return undefined;
  const loss = lossOf(output);
  if (!loss) return { refused: `a ${output} output has no classifier loss` };
  try {
    const trainer = await DataParallelTrainer.start(model, {
      loss,
      modules: [require.resolve('../model/scaled-add')],
      adaptive: true,
    });
    return { trainer };
  } catch (err) {
    return { refused: `worker threads did not start: ${firstLine(err)}` };
  }
}

/** What report.json's stage2.parallel says of a startSharing result. */
export function sharingReport(
  sharing: Awaited<ReturnType<typeof startSharing>>,
): { threads: number; mode: 'parallel' | 'alone' } | { refused: string } | null {
  if (!sharing) return null;
  if ('refused' in sharing) return sharing;
  return { threads: sharing.trainer.threads, mode: sharing.trainer.mode };
}
