#!/usr/bin/env node
// The compiled CLI (built by `npm run build`, which `npm ci` runs through `prepare`).
// Compiled JS starts in ~0.15 s; going through a TypeScript loader costs ~0.5 s more per call.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err?.stack ?? err); process.exitCode = 1; },
);
