/**
 * The store's public face: the only I/O layer (SQLite, the data directory, key files).
 * Nothing else in Koppel imports better-sqlite3 or reads key files.
 */
export { openStore, Store, type NamedBytes } from './store.js';
export { initKey, listKeys, loadKeyring, newKeyId, type Keyring } from './keyring.js';
export type { RotationRecord, RotationStatus } from './key-rotations.js';
export { parsePrincipal } from './tokens.js';
export { readStoredTable, type StoredFileRef } from './stored-files.js';
export { writeStagedBytes, writeStagedTable, type StagingRef } from './staging.js';
export { GENESIS_MAC } from './audit-chain.js';
export { verifyAuditReadOnly } from './audit-verify.js';
export { appendAuditHead } from './audit-head-file.js';
export type { RefusedUpload } from './timeliness-records.js';
export type { ProductRecord, ProductRunError, ProductRunRecord } from './products.js';
export { assertPrivateDir } from './private-dirs.js';
export type {
  AuditEntry, AuditHead, AuditVerification, DatasetRecord, DeliveryRecord, DeliveryStatus, JobRecord, ProjectRecord, ReleaseRecord, StoredFile,
} from './records.js';
export type { TableSpecRecord, TableVersionRecord } from './table-records.js';
