/**
 * `koppel release recheck [<release-id>] [--data-dir D] [--keys K]`: recheck approved releases
 * (one, or all) under the current rules and report, per release, whether a build like it would
 * now be refused and why (pipeline/release-review.ts). Changes no release; each recheck is
 * written to the audit trail, so it needs the keys dir. Exit status 0 when none would be
 * refused, 1 when one would.
 */
import pino from 'pino';
import { loadConfig } from '../config.js';
import { recheckAll, recheckRelease, type RecheckResult } from '../pipeline/release-review.js';
import { loadKeyring, openStore } from '../store/index.js';
import { KOPPEL_VERSION } from '../version.js';
import { UsageError, parseFlags, write, type CommandIo } from './args.js';

const ACTOR = 'cli';

function report(result: RecheckResult): string {
  const state = result.would_refuse ? 'WOULD BE REFUSED' : 'passes';
  const head = `${result.release} (project ${result.project}, manifest version ${result.manifest_version}${result.withdrawn ? ', withdrawn' : ''}): ${state}`;
  return [head, ...result.findings.map((f) => `  ${f.rule}: ${f.message}`)].join('\n');
}

export async function runRelease(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags(argv, { 'data-dir': { type: 'string' }, keys: { type: 'string' } }, true);
  const [action, releaseId] = positionals;
  if (action !== 'recheck') throw new UsageError('release needs recheck');
  const config = loadConfig({ dataDir: values['data-dir'], keysDir: values.keys }, io.env);
  const keyring = loadKeyring(config.keysDir);
  const store = openStore({ dataDir: config.dataDir, keyring });
  try {
    const ctx = { store, keyring, config, log: pino({ level: 'silent' }), version: KOPPEL_VERSION };
    const results = releaseId === undefined ? await recheckAll(ctx, ACTOR) : [await recheckRelease(ctx, ACTOR, releaseId)];
    for (const r of results) write(io.stdout, report(r));
    if (results.length === 0) write(io.stdout, 'no approved releases');
    return results.some((r) => r.would_refuse) ? 1 : 0;
  } finally {
    store.close();
  }
}
