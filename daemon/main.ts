// Process entry for service managers that start a script rather than the CLI:
// `node dist/daemon/main.js [--config FILE]` is `deepend start [--config FILE]`.
import { main } from '../src/cli/main';

main(['start', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
