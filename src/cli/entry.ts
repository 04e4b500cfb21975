/**
 * The CLI entry for running from source (`node --import tsx src/cli/entry.ts ...`): exactly what
 * `bin/koppel.js` does over the compiled `dist/`, so end-to-end tests spawn the real command
 * without depending on a build that may be stale.
 */
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => { console.error((err as Error | undefined)?.stack ?? err); process.exitCode = 1; },
);
