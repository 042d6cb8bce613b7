#!/usr/bin/env node
'use strict';
// The compiled CLI lives in dist/ (built by `npm install` through the prepare script).
const { main } = require('../dist/src/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`deepend: ${err && err.message ? err.message.split('\n')[0] : String(err)}\n`);
    process.exitCode = 1;
  },
);
