/**
 * The store's public face: the only I/O layer (SQLite, the data directory, key files).
 * Nothing else in Koppel imports better-sqlite3 or reads key files.
 */
export { openStore, Store, type StoreOptions, type NamedTable, type NamedBytes } from './store.js';
export { initKey, listKeys, loadKeyring, ephemeralKeyring, type Keyring, type KeyInfo } from './keyring.js';
export { parsePrincipal } from './tokens.js';
export { readStoredTable, type BatchSink, type StoredFileRef } from './arrow-files.js';
export type { DeliveryStaging } from './staging.js';
export type { CommitMeta } from './deliveries.js';
export type { JobPatch } from './jobs.js';
export { canonicalJson, GENESIS_MAC } from './audit-chain.js';
export type {
  AuditEntry, AuditHead, AuditInput, AuditOutcome, AuditVerification, DatasetRecord, DeliveryRecord,
  DeliveryStatus, JobRecord, JobStatus, ProjectRecord, ReleaseRecord, ReleaseStatus, StoredFile, TokenInfo,
} from './records.js';
