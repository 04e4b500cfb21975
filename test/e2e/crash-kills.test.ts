/**
 * The short version of `npm run test:crash` (test/reliability/crash.ts): a few SIGKILLs of a
 * `koppel serve` child during uploads, jobs and release builds, every invariant checked after
 * each restart.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeCrash, runCrashKills } from '../reliability/crash-kills.js';

t.test('SIGKILLs during uploads, jobs and builds leave nothing half-visible, lose no acknowledged upload, strand no job', { timeout: 300_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koppel-crash-e2e-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const figures = await runCrashKills({ kills: 3, minDelayMs: 300, maxDelayMs: 1500, seed: 9, dir });
  t.comment(describeCrash(figures));
  t.equal(figures.kills, 3);
  t.ok(figures.uploadsAcknowledged + figures.uploadsCutByKill > 0, 'uploads were under way');
  t.same(figures.problems, [], 'every invariant held after every restart');
});
