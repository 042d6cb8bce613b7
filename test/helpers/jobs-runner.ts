import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobRunner } from '../../src/jobs/runner';
import type { JobProgress, RunnerDeps } from '../../src/jobs/types';
import type { PolicyRule } from '../../src/policy/types';
import { loadServedModel } from '../../src/serve/served-model';
import { ModelSlot } from '../../src/serve/model-slot';
import { openStore, Store } from '../../src/store';
import { importShipped } from '../../src/store/model-dirs';
import type { JobRow } from '../../src/store/types';
import { ComputeWatcher } from '../../src/daemon/compute-watcher';
import { Metrics, serverPort, startServer, stopServer } from '../../src/serve';
import { isTerminal } from '../../src/store/job-states';
import type { Logger } from '../../src/util/log';
import { rawHardware } from './hardware';
import { DATA_LIMIT, MODEL } from './jobs-fixtures';
import { SHIPPED_MODEL } from './store-fixtures';

/** An in-process daemon: a fresh home with the shipped model as v1, serving, and a runner over it. */
/**
 * How long a canceled growth process has before it is killed. A stop that beats it was the
 * worker's own (it saw the abort flag); the margin is for a machine busy with other tests.
 */
export const CANCEL_GRACE_MS = 10_000;

export interface Rig {
  home: string;
  store: Store;
  slot: ModelSlot;
  runner: JobRunner;
  states: JobRow[];
  progress: JobProgress[];
  logs: object[];
  rule: PolicyRule;
  /** Also told of every state change, when set (e.g. a ComputeWatcher's jobEnded). */
  onState?: (job: JobRow) => void;
  /** A second runner over the same home and slot, as after a restart. */
  restart(): JobRunner;
}

export async function makeRig(
  t: { after(fn: () => unknown): void },
  rule: PolicyRule,
  backend: string,
  data = 'mnist',
  dataLimit = DATA_LIMIT,
): Promise<Rig> {
  const home = mkdtempSync(join(tmpdir(), 'deepend-jobs-'));
  const store = openStore(home);
  const v1 = importShipped(home, MODEL, SHIPPED_MODEL, store);
  const slot = new ModelSlot(MODEL);
  await slot.swap(await loadServedModel(v1.dir, v1.version));
  const rig = {
    home,
    store,
    slot,
    states: [] as JobRow[],
    progress: [] as JobProgress[],
    logs: [] as object[],
    rule,
  } as Rig;
  const deps: RunnerDeps = {
    store,
    home,
    modelName: MODEL,
    slot,
    rule: () => rig.rule,
    data,
    backend,
    events: {
      onState: (job) => {
        rig.states.push(job);
        rig.onState?.(job);
      },
      onProgress: (_job, e) => rig.progress.push(e),
    },
    log: (line) => rig.logs.push(line),
    tuning: { dataLimit, cancelGraceMs: CANCEL_GRACE_MS },
  };
  rig.runner = new JobRunner(deps);
  rig.restart = () => new JobRunner(deps);
  t.after(async () => {
    await rig.runner.stop();
    await slot.close();
    store.close();
    rmSync(home, { recursive: true, force: true });
  });
  return rig;
}

/** Resolves at the first event that satisfies `pred` (polled: events arrive on this thread's loop). */
export async function waitFor(pred: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Tensors the serving thread holds besides the weights of the version it serves. */
export function tensorsBesidesModel(slot: ModelSlot, numTensors: number): number {
  return numTensors - (slot.current()?.model.weights.length ?? 0);
}

/** The daemon's HTTP server (TF Serving shapes, :feedback) on a free port, serving the rig's slot; the model's URL. */
export async function serveRig(t: { after(fn: () => unknown): void }, rig: Rig): Promise<string> {
  const server = await startServer({
    port: 0,
    slots: new Map([[MODEL, rig.slot]]),
    metrics: new Metrics(),
    status: () => ({}),
  });
  t.after(() => stopServer(server));
  return `http://127.0.0.1:${serverPort(server)}/v1/models/${MODEL}`;
}

/**
 * A ComputeWatcher over the rig, as the daemon wires it: told of every job's end, its automatic
 * upgrades run by the rig's runner; `infos` collects what it logs at info (and errors).
 */
export function watchRig(
  t: { after(fn: () => unknown): void },
  rig: Rig,
  backend: string,
): { watcher: ComputeWatcher; infos: string[] } {
  const infos: string[] = [];
  const log: Logger = {
    debug() {},
    info: (msg) => infos.push(msg),
    warn() {},
    error: (msg, f) => infos.push(`error: ${msg} ${JSON.stringify(f)}`),
    line() {},
  };
  const watcher = new ComputeWatcher({
    store: rig.store,
    policy: { name: 'rig', hash: 'h', rules: [rig.rule], file: 'rig.yaml' },
    backend,
    read: async () => rawHardware('this-machine'),
    log,
    committedDepth: () => rig.store.committedVersion(MODEL)!.depth,
    baseDepth: () => 2,
  });
  t.after(() => watcher.stop());
  rig.onState = (job) => {
    if (isTerminal(job.state)) watcher.jobEnded(job);
  };
  watcher.attach(rig.runner);
  return { watcher, infos };
}
