/**
 * `koppel token create|revoke|list`: bearer tokens, one principal each, stored hashed. Every
 * token command is written to the audit trail, so it needs the keys dir (the audit key): a
 * token made or revoked without a trace is exactly what the trail exists to prevent.
 */
import { loadConfig } from '../config.js';
import { loadKeyring, openStore, parsePrincipal, type Store } from '../store/index.js';
import { UsageError, parseFlags, write, type CommandIo } from './args.js';

const ACTOR = 'cli';

function createToken(store: Store, role: string | undefined, expiresIn: string | undefined, io: CommandIo): number {
  if (role === undefined) throw new UsageError('token create needs --role operator:<name>|supplier:<name>|researcher:<name>|reviewer:<name>');
  const principal = parsePrincipal(role);
  const days = expiresIn === undefined ? undefined : Number(expiresIn);
  const made = store.createToken(principal.id, ACTOR, days);
  store.audit({ actor: ACTOR, action: 'token.create', target: made.tokenId, outcome: 'ok', detail: { principal: made.principal, expires_at: made.expiresAt } });
  write(io.stdout, `token ${made.tokenId} for ${made.principal}, expires ${made.expiresAt}:\n${made.token}\nIt is shown once; Koppel keeps only its hash.`);
  return 0;
}

function revokeToken(store: Store, tokenId: string | undefined, io: CommandIo): number {
  if (tokenId === undefined) throw new UsageError('token revoke needs a token id');
  const revoked = store.revokeToken(tokenId);
  store.audit({ actor: ACTOR, action: 'token.revoke', target: tokenId, outcome: revoked ? 'ok' : 'refused' });
  if (!revoked) {
    write(io.stderr, `koppel token: no active token ${tokenId}`);
    return 1;
  }
  write(io.stdout, `revoked ${tokenId}`);
  return 0;
}

function listTokens(store: Store, io: CommandIo): number {
  const tokens = store.listTokens();
  store.audit({ actor: ACTOR, action: 'token.list', outcome: 'ok', detail: { tokens: tokens.length } });
  const at = new Date().toISOString();
  for (const t of tokens) {
    const state = t.revokedAt !== null ? `revoked ${t.revokedAt}` : t.expiresAt !== null && t.expiresAt <= at ? `expired ${t.expiresAt}` : `active until ${t.expiresAt ?? 'never'}`;
    write(io.stdout, `${t.tokenId}\t${t.principal}\t${t.createdAt}\t${state}`);
  }
  return 0;
}

export async function runToken(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    role: { type: 'string' }, 'expires-in': { type: 'string' }, 'data-dir': { type: 'string' }, keys: { type: 'string' },
  }, true);
  const config = loadConfig({ dataDir: values['data-dir'], keysDir: values.keys }, io.env);
  const [action, arg] = positionals;
  if (action !== 'create' && action !== 'revoke' && action !== 'list') throw new UsageError('token needs create, revoke or list');
  if (action === 'create' && values.role === undefined) throw new UsageError('token create needs --role operator:<name>|supplier:<name>|researcher:<name>|reviewer:<name>');
  if (action === 'create') parsePrincipal(values.role!);
  const keyring = loadKeyring(config.keysDir);
  const store = openStore({ dataDir: config.dataDir, keyring });
  try {
    if (action === 'create') return createToken(store, values.role, values['expires-in'], io);
    if (action === 'revoke') return revokeToken(store, arg, io);
    return listTokens(store, io);
  } finally {
    store.close();
  }
}
