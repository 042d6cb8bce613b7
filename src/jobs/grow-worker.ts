// Entry of the growth process (forked by grow-process.ts): loads the committed
// parent and the data on its own TF.js instance, grows, and saves the
// candidate. The serving process never trains, and everything growth
// allocated (wasm heap included) goes back to the OS when this process exits.
import { getPriority } from 'node:os';
import { parseForcedBackend, selectBackend } from '../compute/backend';
import { DEFAULT_GROWTH_NICE } from '../config/defaults';
import { loadDataset } from '../data/load';
import { assertFits } from '../data/normalise';
import { assertEmbeddingInput } from '../model/embedding-input';
import { splitDataset } from '../data/split';
import { childMeta } from '../grow/child-meta';
import { grow } from '../grow/run';
import { loadModel, saveModel } from '../model/io';
import { learningCurveSvg } from '../report/learning-curve-svg';
import { growthPicture } from '../report/growth-picture';
import { AbortedError, ProgressEvent } from '../train/progress';
import { REPORT_JSON, summarise } from './candidate';
import { bestCaseRefusal } from './gate';
import { HELD_OUT_FRACTION, MAX_HELD_OUT_FRACTION } from './held-out-share';
import { crashIfAsked } from './crash';
import { setGrowthPriority } from './growth-priority';
import type { FromWorker, GrowJobInput, ToWorker } from './grow-protocol';
import { fileAbortSignal } from './file-abort';
import { dataInputShape } from '../data/for-model';

/** Progress posts at most this often (Stage changes always go through). */
const PROGRESS_EVERY_MS = 250;

function post(m: FromWorker): void {
  process.send?.(m);
}

async function run(input: GrowJobInput): Promise<void> {
  // before TF.js starts its threads, which inherit it: the serving process wins the CPU
  const nice = input.nice ?? DEFAULT_GROWTH_NICE;
  if (!setGrowthPriority(nice) && process.platform === 'linux')
    post({
      type: 'warning',
      message: `nice ${nice} was not set on every thread (a value below the daemon's own needs CAP_SYS_NICE); growth runs at nice ${getPriority()}`,
    });
  // process.ppid is read from the OS each time: it changes when the daemon dies
  const signal = fileAbortSignal(input.abortFile, () => process.ppid !== input.daemonPid);
  const checkAbort = () => {
    if (signal.aborted) throw new AbortedError('growth');
  };

  const backend = await selectBackend(parseForcedBackend(input.backend));
  const parent = await loadModel(input.parentDir);
  try {
    checkAbort();
    const shape = dataInputShape(parent.meta.inputShape, input.data);
    const data = await loadDataset(input.data, {
      inputShape: shape,
      classes: parent.meta.labels,
      limit: input.dataLimit,
    });
    assertFits(data, shape, parent.meta.labels.length);
    assertEmbeddingInput(parent.model, data, parent.meta.normalisation);
    // the default seed: the same split as the committed model's figures and the gate's; a retry the
    // gate could not decide holds more of it out (held-out-share.ts)
    const split = splitDataset(
      data,
      input.heldOutFraction !== undefined ? { testFraction: input.heldOutFraction } : {},
    );
    checkAbort();

    let lastPost = 0;
    let lastStage = '';
    const onProgress = (event: ProgressEvent) => {
      const now = performance.now();
      if (event.stage === 'stage2') crashIfAsked('growing:stage2', input.crashAt, input.daemonPid);
      // an epoch's validation (a point of the learning curve) is never throttled away: a short epoch ends
      // within PROGRESS_EVERY_MS of its last step's event, and the fleet and the console would never see the point
      const measured = event.validationAccuracy !== undefined;
      if (!measured && event.stage === lastStage && now - lastPost < PROGRESS_EVERY_MS) return;
      lastStage = event.stage;
      lastPost = now;
      post({ type: 'progress', event });
    };
    const { model, report } = await grow({
      parent,
      method: input.method,
      toDepth: input.toDepth,
      split,
      budget: input.budget,
      seed: input.seed,
      backend: backend.name,
      onProgress,
      signal,
      onParentMeasured: (heldOut) => {
        // the largest held-out share a retry may use, on the same data
        const largest = Math.round((heldOut.n * MAX_HELD_OUT_FRACTION) / (input.heldOutFraction ?? HELD_OUT_FRACTION));
        const refusal = input.gate && bestCaseRefusal(heldOut, largest, input.gate);
        if (refusal) throw new Error(refusal);
      },
    });
    try {
      checkAbort();
      const recorded = input.gate ? { ...report, gate: input.gate } : report;
      const svg = learningCurveSvg(growthPicture(recorded));
      const meta = await saveModel(model, childMeta(parent.meta, report), input.candidateDir, {
        [REPORT_JSON]: JSON.stringify(recorded, null, 2) + '\n',
        'learning-curve.svg': svg,
      });
      post({ type: 'done', candidate: summarise(input.candidateDir, recorded, meta) });
    } finally {
      model.dispose();
    }
  } finally {
    parent.model.dispose();
  }
}

if (!process.send) throw new Error('grow-worker.js runs as a child process forked by src/jobs/grow-process.ts');
process.once('message', (m: ToWorker) => {
  run(m.input)
    .catch((err: unknown) => {
      const aborted = err instanceof AbortedError;
      post({ type: 'failed', message: err instanceof Error ? err.message : String(err), aborted });
    })
    .finally(() => process.disconnect?.());
});
