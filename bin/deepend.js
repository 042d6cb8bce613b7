#!/usr/bin/env node
'use strict';
// The compiled CLI lives in dist/ (built by `npm install` through the prepare script).

function run() {
  const { main } = require('../dist/src/cli/main.js');
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`deepend: ${err?.message ? err.message.split('\n')[0] : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

if (process.argv[2] === 'start') {
  // SIGTERM/SIGINT before the CLI (and TF.js) has loaded end the start with exit 0
  const early = require('../dist/src/daemon/early-signals.js').catchEarlySignals();
  require('../dist/src/daemon/start-stages.js').startStageHooks('load', early.received).then(run);
} else {
  // `deepend inspect M | head`, `deepend grow ... 2>&1 | head`: the reader has gone, which is no error of the
  // command's. What it would still write goes nowhere, and it ends with its own status (a growth still writes its
  // model), instead of a stack trace thrown at the closed pipe.
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (err) => {
      if (err.code !== 'EPIPE') throw err;
      stream.write = () => true;
    });
  run();
}
