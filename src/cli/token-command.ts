/** `koppel token create|revoke|list`: bearer tokens, one principal each, stored hashed. */
import { loadConfig } from '../config.js';
import { KoppelError } from '../errors.js';
import { loadKeyring, openStore, parsePrincipal, type Keyring } from '../store/index.js';
import { UsageError, parseFlags, write, type CommandIo } from './args.js';

/** Token management works without keys, but is audited when a keyring is there. */
function optionalKeyring(keysDir: string): Keyring | undefined {
  try {
    return loadKeyring(keysDir);
  } catch (err) {
    if (err instanceof KoppelError && err.code === 'KOPPEL_ERR_KEY_MISSING') return undefined;
    throw err;
  }
}

export async function runToken(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    role: { type: 'string' }, 'data-dir': { type: 'string' }, keys: { type: 'string' },
  }, true);
  const config = loadConfig({ dataDir: values['data-dir'], keysDir: values.keys }, io.env);
  const [action, arg] = positionals;
  if (action !== 'create' && action !== 'revoke' && action !== 'list') throw new UsageError('token needs create, revoke or list');
  const keyring = optionalKeyring(config.keysDir);
  const store = openStore({ dataDir: config.dataDir, keyring });
  try {
    if (action === 'create') {
      if (values.role === undefined) throw new UsageError('token create needs --role operator:<name>|supplier:<name>|researcher:<name>');
      const principal = parsePrincipal(values.role);
      const { tokenId, token } = store.createToken(principal.id, 'cli');
      if (keyring !== undefined) store.audit({ actor: 'cli', action: 'token.create', target: tokenId, outcome: 'ok', detail: { principal: principal.id } });
      write(io.stdout, `token ${tokenId} for ${principal.id}:\n${token}\nIt is shown once; Koppel keeps only its hash.`);
      return 0;
    }
    if (action === 'revoke') {
      if (arg === undefined) throw new UsageError('token revoke needs a token id');
      const revoked = store.revokeToken(arg);
      if (!revoked) {
        write(io.stderr, `koppel token: no active token ${arg}`);
        return 1;
      }
      if (keyring !== undefined) store.audit({ actor: 'cli', action: 'token.revoke', target: arg, outcome: 'ok' });
      write(io.stdout, `revoked ${arg}`);
      return 0;
    }
    for (const t of store.listTokens()) write(io.stdout, `${t.tokenId}\t${t.principal}\t${t.createdAt}\t${t.revokedAt ?? 'active'}`);
    return 0;
  } finally {
    store.close();
  }
}
