/**
 * `npm run test:crash [-- --kills N]`: the crash run (crash-kills.ts) at full size: 50 SIGKILLs
 * of a `koppel serve` child at random moments during uploads, linkage jobs, release builds and
 * approvals, every invariant checked after each restart. Prints the figures; exits 1 if any
 * invariant broke.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeCrash, runCrashKills } from './crash-kills.js';

const { values } = parseArgs({ options: { kills: { type: 'string', default: '50' }, seed: { type: 'string', default: '3' } } });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koppel-crash-'));
try {
  const figures = await runCrashKills({ kills: Number(values.kills), minDelayMs: 50, maxDelayMs: 6000, seed: Number(values.seed), dir }, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${describeCrash(figures)}\n`);
  for (const line of figures.problems.slice(0, 30)) process.stdout.write(`  ${line}\n`);
  process.stdout.write(`${figures.problems.length === 0 ? 'PASS' : 'FAIL'}\n`);
  process.exitCode = figures.problems.length === 0 ? 0 : 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
