/** `koppel audit verify`: recompute the keyed audit chain and report the first break. */
import { loadConfig } from '../config.js';
import { loadKeyring, openStore } from '../store/index.js';
import { UsageError, parseFlags, write, type CommandIo } from './args.js';

export async function runAudit(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags(argv, { 'data-dir': { type: 'string' }, keys: { type: 'string' } }, true);
  if (positionals[0] !== 'verify') throw new UsageError('audit needs verify');
  const config = loadConfig({ dataDir: values['data-dir'], keysDir: values.keys }, io.env);
  const store = openStore({ dataDir: config.dataDir, keyring: loadKeyring(config.keysDir) });
  try {
    const result = store.verifyAudit();
    if (result.ok) {
      const head = store.auditHead();
      write(io.stdout, `audit chain ok: ${result.entries} entries${head ? `, head ${head.seq} ${head.mac}` : ''}`);
      return 0;
    }
    write(io.stderr, `audit chain BROKEN at entry ${result.firstBad ?? '?'}: ${result.reason ?? 'mismatch'} (${result.entries} entries read)`);
    return 1;
  } finally {
    store.close();
  }
}
