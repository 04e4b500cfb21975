/**
 * Bearer tokens. A token is `kpl_<token-id>_<secret>`: the id finds the row, the secret (32
 * random bytes, base64url) proves possession. Only sha256(secret) is stored, so a copy of the
 * database does not yield working tokens; comparison is constant-time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { KoppelError } from '../errors.js';
import type { Principal, Role } from '../model.js';
import type { Db } from './database.js';
import { newId, now } from './ids.js';
import type { TokenInfo } from './records.js';

const PRINCIPAL = /^(operator|supplier|researcher):([A-Za-z0-9._-]{1,64})$/;
const TOKEN = /^kpl_(tok_[0-9a-f]{20})_([A-Za-z0-9_-]{43})$/;

/** `operator:<name>` etc. -> Principal; anything else -> KOPPEL_ERR_AUTH_BAD_ROLE. */
export function parsePrincipal(text: string): Principal {
  const match = PRINCIPAL.exec(text);
  if (match === null) {
    throw new KoppelError('KOPPEL_ERR_AUTH_BAD_ROLE', 'a principal must be operator:<name>, supplier:<name> or researcher:<name> (name: letters, digits, . - _; at most 64)', { length: text.length });
  }
  return { role: match[1] as Role, name: match[2], id: text };
}

function sha256(data: string): Buffer {
  return createHash('sha256').update(data, 'utf8').digest();
}

interface TokenRow {
  token_id: string;
  principal: string;
  secret_sha256: Buffer;
  created_at: string;
  revoked_at: string | null;
}

export class Tokens {
  private readonly insert;
  private readonly byId;
  private readonly revoke;
  private readonly all;
  /** Compared against when the id is unknown, so both paths do the same work. */
  private readonly decoy = sha256('koppel-decoy');

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO tokens (token_id, principal, secret_sha256, created_at, created_by) VALUES (?, ?, ?, ?, ?)');
    this.byId = db.prepare<[string], TokenRow>('SELECT token_id, principal, secret_sha256, created_at, revoked_at FROM tokens WHERE token_id = ?');
    this.revoke = db.prepare('UPDATE tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL');
    this.all = db.prepare<[], TokenRow>('SELECT token_id, principal, secret_sha256, created_at, revoked_at FROM tokens ORDER BY created_at, token_id');
  }

  create(principal: string, createdBy?: string): { tokenId: string; token: string } {
    parsePrincipal(principal);
    const tokenId = newId('tok');
    const secret = randomBytes(32).toString('base64url');
    this.insert.run(tokenId, principal, sha256(secret), now(), createdBy ?? null);
    return { tokenId, token: `kpl_${tokenId}_${secret}` };
  }

  authenticate(token: string): Principal | null {
    const match = TOKEN.exec(token);
    if (match === null) return null;
    const row = this.byId.get(match[1]);
    const presented = sha256(match[2]);
    const stored = row === undefined ? this.decoy : row.secret_sha256;
    const equal = timingSafeEqual(presented, stored);
    if (row === undefined || !equal || row.revoked_at !== null) return null;
    return parsePrincipal(row.principal);
  }

  /** true if the token was active and is now revoked; false if unknown or already revoked. */
  revokeToken(tokenId: string): boolean {
    return this.revoke.run(now(), tokenId).changes === 1;
  }

  list(): TokenInfo[] {
    return this.all.all().map((r) => ({ tokenId: r.token_id, principal: r.principal, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }
}
