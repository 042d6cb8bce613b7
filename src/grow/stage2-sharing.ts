import { firstLine } from '../util/deepend-error';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { tf, tfl } from '../tf';
import { DataParallelTrainer } from '../compute/data-parallel';
import { IdleCores } from '../compute/idle-cores';
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

/** The machine's idle cores since this module loaded or since the last Stage II began. */
const recentIdle = new IdleCores();
/** A shorter window is waited out to this length: a few scheduler ticks say little about the load. */
const MIN_WINDOW_MS = 250;
/** Idle cores, on average over the window, that start one worker thread. */
const MIN_IDLE_CORES = 0.5;

/**
 * Worker threads for `idleCores` idle cores of `cores` (the caller's own thread already counts as busy): one per
 * idle core, rounded, and none below half a core. On a busy machine a worker only competes with the caller for
 * the same cores: a one-epoch growth of the shipped model on 2,500 digits beside two busy loops on 2 cores took
 * 4.3 CPU-s and 5.5 s with a worker thread, 3.6 CPU-s and 5.1 s alone (docs/design/dils.md).
 */
export function workersForIdleCores(cores: number, idleCores: number): number {
  if (idleCores < MIN_IDLE_CORES) return 0;
  return Math.min(cores - 1, Math.max(1, Math.round(idleCores)));
}

async function idleCoresLately(): Promise<number> {
  const wait = MIN_WINDOW_MS - recentIdle.windowMs;
  if (wait > 0) await sleep(wait);
  return recentIdle.sample();
}

/** Why Stage II trains without worker threads where it could have had them. */
type NotShared = { refused: string } | { skipped: string };
export type Sharing = { trainer: DataParallelTrainer } | NotShared | undefined;
/** report.json's stage2.parallel: the threads and the mode at the end, why there were none, or null. */
export type SharingReport = { threads: number; mode: 'parallel' | 'alone' } | NotShared | null;

/**
 * Worker threads for Stage II's steps where they can help: more than one core, a backend that uses one (wasm,
 * cpu; native TensorFlow and WebGPU already spread their work), and, unless `always`, cores that have stood idle
 * lately (workersForIdleCores). Undefined where there is nothing to share; `skipped` says which busy cores kept
 * the threads from starting; `refused` why a start that should have worked did not. Without a trainer the
 * caller trains alone.
 */
export async function startSharing(
  model: tfl.LayersModel,
  output: OutputKind | undefined,
  always = false,
): Promise<Sharing> {
  const backend = tf.getBackend();
  const cores = availableParallelism();
  if (cores < 2 || (backend !== 'wasm' && backend !== 'cpu')) return undefined;
  const loss = lossOf(output);
  if (!loss) return { refused: `a ${output} output has no classifier loss` };
  let workers: number | undefined;
  if (!always) {
    const idle = await idleCoresLately();
    workers = workersForIdleCores(cores, idle);
    if (workers === 0) return { skipped: `no idle core: ${idle.toFixed(1)} of ${cores} idle lately` };
  }
  try {
    const trainer = await DataParallelTrainer.start(model, {
      loss,
      workers,
      modules: [require.resolve('../model/scaled-add')],
      adaptive: true,
    });
    return { trainer };
  } catch (err) {
    return { refused: `worker threads did not start: ${firstLine(err)}` };
  }
}

/** What report.json's stage2.parallel says of a startSharing result. */
export function sharingReport(sharing: Sharing): SharingReport {
  if (!sharing) return null;
  if (!('trainer' in sharing)) return sharing;
  return { threads: sharing.trainer.threads, mode: sharing.trainer.mode };
}
