/** The pseudonymise stage: purpose keys, batch HMAC of identifiers, release pseudonyms. */
export {
  INFO_PREFIX, MASTER_KEY_BYTES, PURPOSE_KEY_BYTES, PURPOSES, derivePurposeKey,
} from './key-derivation.js';
export {
  HMAC_SHA256_BYTES, SINGLE_BLOCK_MAX_BYTES, HmacSha256Key, type HmacKeyInput,
  hmacBytes, hmacFixedWidth, hmacVarWidth, prepareHmacKey,
} from './hmac-batch.js';
export { hmacUtf8, pseudonymiseNationalIds, pseudonymiseNationalIdsInSlices, validityFromStatus } from './hmac-columns.js';
export {
  RELEASE_PSEUDONYM_BYTES, RELEASE_PSEUDONYM_CHARS, decimalColumn, releasePseudonyms,
} from './release-pseudonym.js';
