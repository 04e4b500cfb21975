/**
 * What every pipeline operation runs against: the store (the only I/O), the keyring, the
 * validated configuration and the logger. Purpose keys are derived once per key id and kept.
 */
import type { KoppelConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Keyring, Store } from '../store/index.js';
import { derivePurposeKey } from '../pseudonymise/key-derivation.js';
import { KoppelError } from '../errors.js';

export interface PipelineContext {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly config: KoppelConfig;
  readonly log: Logger;
  readonly version: string;
  /** "Now" for date rules such as delivery due days; the system clock when absent (tests fix it). */
  readonly clock?: () => Date;
}

/** The context's current time. */
export function nowOf(ctx: Pick<PipelineContext, 'clock'>): Date {
  return ctx.clock === undefined ? new Date() : ctx.clock();
}

const purposeKeyCache = new WeakMap<Keyring, Map<string, Uint8Array>>();

/** The purpose key (design.md "Keys") under the keyring's current master key, or a given key id. */
export function purposeKey(ctx: PipelineContext, purpose: string, keyId: string = ctx.keyring.currentId): Uint8Array {
  let cache = purposeKeyCache.get(ctx.keyring);
  if (cache === undefined) {
    cache = new Map();
    purposeKeyCache.set(ctx.keyring, cache);
  }
  const slot = `${keyId}\u0000${purpose}`;
  let key = cache.get(slot);
  if (key === undefined) {
    if (!ctx.keyring.ids().includes(keyId)) {
      throw new KoppelError('KOPPEL_ERR_KEY_UNKNOWN_ID', `no key with id ${keyId} in the keyring`, { keyId });
    }
    key = derivePurposeKey(ctx.keyring.get(keyId), purpose);
    cache.set(slot, key);
  }
  return key;
}
