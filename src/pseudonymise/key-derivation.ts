/**
 * Purpose keys from a master key (design.md "Keys").
 *
 * HKDF-SHA256 (RFC 5869) with an empty salt (§2.2: treated as HashLen zero bytes), output
 * length 32 and info = UTF-8 of `koppel/v1/<purpose>`. One master key thus yields independent
 * keys per purpose, and a release key cannot be computed from another project's or release's.
 * The exact derivation is part of the determinism contract: the known-answer vectors in
 * `test/unit/pseudonymise/key-derivation.test.ts` pin it, so changing any byte here changes
 * every stored pseudonym.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { KoppelError } from '../errors.js';
import type { FieldType } from '../model.js';

export const MASTER_KEY_BYTES = 32;
export const PURPOSE_KEY_BYTES = 32;
export const INFO_PREFIX = 'koppel/v1/';

/** The purposes a key may be derived for; the strings are part of the contract. */
export const PURPOSES = {
  /** HMAC of the 11 normalised INSZ digits: the linkage pseudonym. */
  nationalId: 'link:national_id',
  /** Keyed encodings (hashes, Bloom filters) of a linkage field type. */
  encode: (fieldType: FieldType): string => `encode:${fieldType}`,
  /**
   * Release pseudonyms of one release (`release:<project id>:<release id>`, the default), so
   * that two releases of a project cannot be joined on the pseudonym; or, without a release id,
   * of a longitudinal project's every release (`release:<project id>`).
   */
  release: (projectId: string, releaseId?: string): string => {
    if (projectId.length === 0) throw new TypeError('a release purpose needs a non-empty project id');
    if (releaseId === undefined) return `release:${projectId}`;
    if (releaseId.length === 0) throw new TypeError('a per-release purpose needs a non-empty release id');
    return `release:${projectId}:${releaseId}`;
  },
  /** The HMAC chain of the audit trail. */
  audit: 'audit',
} as const;

const utf8 = new TextEncoder();

export function derivePurposeKey(master: Uint8Array, purpose: string): Uint8Array {
  if (!(master instanceof Uint8Array) || master.length !== MASTER_KEY_BYTES) {
    // The length is safe to report; the key bytes never are.
    const got = master instanceof Uint8Array ? `${master.length} bytes` : typeof master;
    throw new KoppelError('KOPPEL_ERR_KEY_INVALID', `master key must be exactly ${MASTER_KEY_BYTES} bytes, got ${got}`, {
      expected_bytes: MASTER_KEY_BYTES,
    });
  }
  if (typeof purpose !== 'string' || purpose.length === 0) throw new TypeError('key purpose must be a non-empty string');
  return hkdf(sha256, master, new Uint8Array(0), utf8.encode(INFO_PREFIX + purpose), PURPOSE_KEY_BYTES);
}
