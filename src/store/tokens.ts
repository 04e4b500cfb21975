/**
 * Bearer tokens. A token is `kpl_<token-id>_<secret>`: the id finds the row, the secret (32
 * random bytes, base64url) proves possession. Only sha256(secret) is stored, so a copy of the
 * database does not yield working tokens; comparison is constant-time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { KoppelError } from '../errors.js';
import { canonicalPrincipal, type Principal, type Role } from '../model.js';
import type { Db } from './database.js';
import { newId, now } from './ids.js';
import type { TokenInfo } from './records.js';

const TOKEN = /^kpl_(tok_[0-9a-f]{20})_([A-Za-z0-9_-]{43})$/;

/** `operator:<name>` etc. -> Principal in its canonical form; anything else -> KOPPEL_ERR_AUTH_BAD_ROLE. */
export function parsePrincipal(text: string): Principal {
  const id = canonicalPrincipal(text);
  if (id === null && /^system:/.test(text.trim().normalize('NFKC').toLowerCase())) {
    throw new KoppelError('KOPPEL_ERR_AUTH_BAD_ROLE', 'system principals are Koppel itself (system:koppel runs recurrent products); they act only inside the server and never hold a token', { length: text.length });
  }
  if (id === null) {
    throw new KoppelError('KOPPEL_ERR_AUTH_BAD_ROLE', 'a principal must be operator:<name>, supplier:<name>, researcher:<name> or reviewer:<name> (name: letters, digits, . - _; at most 64)', { length: text.length });
  }
  const colon = id.indexOf(':');
  return { role: id.slice(0, colon) as Role, name: id.slice(colon + 1), id };
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
  expires_at: string | null;
}

/** Days a token lives unless its creator says otherwise: people re-authorise every quarter. */
export const DEFAULT_TOKEN_DAYS = 90;
/** The longest life a token may be given (a supplier's system, renewed yearly at the least). */
export const MAX_TOKEN_DAYS = 366;

export class Tokens {
  private readonly insert;
  private readonly byId;
  private readonly revoke;
  private readonly all;
  /** Compared against when the id is unknown, so both paths do the same work. */
  private readonly decoy = sha256('koppel-decoy');

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO tokens (token_id, principal, secret_sha256, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.byId = db.prepare<[string], TokenRow>('SELECT token_id, principal, secret_sha256, created_at, revoked_at, expires_at FROM tokens WHERE token_id = ?');
    this.revoke = db.prepare('UPDATE tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL');
    this.all = db.prepare<[], TokenRow>('SELECT token_id, principal, secret_sha256, created_at, revoked_at, expires_at FROM tokens ORDER BY created_at, token_id');
  }

  /** A new token for the principal (stored in its canonical form), alive for `days` days. */
  create(principal: string, createdBy?: string, days = DEFAULT_TOKEN_DAYS): { tokenId: string; token: string; principal: string; expiresAt: string } {
    const id = parsePrincipal(principal).id;
    if (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS) {
      throw new KoppelError('KOPPEL_ERR_AUTH_BAD_EXPIRY', `a token lives from 1 to ${MAX_TOKEN_DAYS} days`, { days: String(days) });
    }
    const tokenId = newId('tok');
    const secret = randomBytes(32).toString('base64url');
    const createdAt = now();
    const expiresAt = new Date(Date.parse(createdAt) + days * 86_400_000).toISOString();
    this.insert.run(tokenId, id, sha256(secret), createdAt, createdBy ?? null, expiresAt);
    return { tokenId, token: `kpl_${tokenId}_${secret}`, principal: id, expiresAt };
  }

  /**
   * The principal of a live token, or the refusal: KOPPEL_ERR_AUTH_INVALID_TOKEN (malformed,
   * unknown, wrong secret, revoked) or KOPPEL_ERR_AUTH_EXPIRED_TOKEN (only once the secret has
   * proved possession, so an expiry says nothing to someone guessing).
   */
  verify(token: string): Principal {
    const match = TOKEN.exec(token);
    const row = match === null ? undefined : this.byId.get(match[1]);
    const presented = sha256(match === null ? '' : match[2]);
    const stored = row === undefined ? this.decoy : row.secret_sha256;
    const equal = timingSafeEqual(presented, stored);
    if (row === undefined || !equal || row.revoked_at !== null) {
      throw new KoppelError('KOPPEL_ERR_AUTH_INVALID_TOKEN', 'the bearer token is unknown or revoked');
    }
    if (row.expires_at !== null && row.expires_at <= now()) {
      throw new KoppelError('KOPPEL_ERR_AUTH_EXPIRED_TOKEN', 'the bearer token has expired', { token: row.token_id });
    }
    return parsePrincipal(row.principal);
  }

  /** `verify` without the reason: the principal, or null. */
  authenticate(token: string): Principal | null {
    try {
      return this.verify(token);
    } catch (err) {
      if (err instanceof KoppelError) return null;
      throw err;
    }
  }

  /** true if the token was active and is now revoked; false if unknown or already revoked. */
  revokeToken(tokenId: string): boolean {
    return this.revoke.run(now(), tokenId).changes === 1;
  }

  list(): TokenInfo[] {
    return this.all.all().map((r) => ({ tokenId: r.token_id, principal: r.principal, createdAt: r.created_at, revokedAt: r.revoked_at, expiresAt: r.expires_at }));
  }
}
