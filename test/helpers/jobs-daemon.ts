// A tiny daemon for the crash tests: opens the store (importing the shipped
// model on first start), serves the committed version, recovers, optionally
// requests one upgrade, waits until the runner is idle and prints the outcome.
// Run by test/helpers/jobs-fixtures.ts runDaemon(), with or without DEEPEND_CRASH_AT.
import { selectBackend } from '../../src/compute/backend';
import { JobRunner } from '../../src/jobs/runner';
import { loadServedModel } from '../../src/serve/served-model';
import { ModelSlot } from '../../src/serve/model-slot';
import { openStore } from '../../src/store';
import { importShipped, readCurrent, reconcile } from '../../src/store/model-dirs';
import { tf } from '../../src/tf';
import { DaemonArgs, DaemonResult, MODEL, RESULT_PREFIX } from './jobs-fixtures';
import { SHIPPED_MODEL } from './store-fixtures';

async function main(): Promise<void> {
  const started = performance.now();
  const args = JSON.parse(process.argv[2]) as DaemonArgs;
  const backend = await selectBackend();
  const store = openStore(args.home);
  if (!store.committedVersion(MODEL)) importShipped(args.home, MODEL, SHIPPED_MODEL, store);
  // as the daemon does: disk and database agree before the committed version is loaded
  reconcile(args.home, MODEL, store);
  const committedAtStart = store.committedVersion(MODEL)!;
  const slot = new ModelSlot(MODEL);
  await slot.swap(await loadServedModel(committedAtStart.dir, committedAtStart.version));
  const runner = new JobRunner({
    store,
    home: args.home,
    modelName: MODEL,
    slot,
    rule: () => args.rule,
    data: 'mnist',
    backend: backend.name,
    log: (line) => process.stderr.write(JSON.stringify(line) + '\n'),
    tuning: { dataLimit: args.dataLimit },
  });
  const recovered = await runner.recover();
  const afterRecover = { served: slot.current()!.meta.weightsSha256, committed: store.committedVersion(MODEL)!.sha256 };
  const answer = args.request ? runner.request(args.request) : undefined;
  await runner.idle();

  const served = slot.current()!;
  const committed = store.committedVersion(MODEL)!;
  const result: DaemonResult = {
    recovered,
    afterRecover,
    answer: answer && { accepted: answer.accepted, reason: answer.accepted ? undefined : answer.reason },
    served: { version: served.version, sha256: served.meta.weightsSha256, depth: served.meta.depth },
    committed: { version: committed.version, sha256: committed.sha256, depth: committed.depth },
    current: readCurrent(args.home, MODEL),
    jobs: store.jobs().map((j) => ({ id: j.id, state: j.state, attempts: j.attempts, reason: j.reason })),
    numTensors: tf.memory().numTensors,
    rssBytes: process.memoryUsage().rss,
    seconds: (performance.now() - started) / 1000,
  };
  await slot.close();
  store.close();
  process.stdout.write(RESULT_PREFIX + JSON.stringify(result) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`jobs-daemon: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
