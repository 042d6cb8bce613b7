// Process entry for service managers that start a script rather than the CLI:
// `node dist/daemon/main.js [--config FILE]` is `deepend start [--config FILE]`.
import { catchEarlySignals } from '../src/daemon/early-signals';
import { startStageHooks } from '../src/daemon/start-stages';

// before the CLI (and TF.js) loads: a signal then ends the start with exit 0
const early = catchEarlySignals();
void startStageHooks('load', early.received)
  .then(() => import('../src/cli/main'))
  .then(({ main }) => main(['start', ...process.argv.slice(2)]))
  .then((code) => {
    process.exitCode = code;
  });
