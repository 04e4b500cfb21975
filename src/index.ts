/**
 * Koppel as a library (package.json `main`). The stages are pure functions over Arrow data and
 * explicit key material; `runLocalLink` is `koppel link`, and `openRuntime` opens the store,
 * keyring and pipeline context that the server and the CLI use.
 *
 *   ingest -> pseudonymise -> link -> release, run against the store by the pipeline
 */
export * as ingest from './ingest/index.js';
export * as pseudonymise from './pseudonymise/index.js';
export * as link from './link/index.js';
export * as release from './release/index.js';
export { runLocalLink, type LocalLinkOptions, type LocalLinkOutcome } from './pipeline/local-link.js';
export { openRuntime, type Runtime } from './pipeline/runtime.js';
export { KoppelError, isKoppelError, ERROR_CATALOGUE, type ErrorCode } from './errors.js';
export { loadConfig, DEFAULT_CONFIG, type KoppelConfig } from './config.js';
export type { DatasetSchema, ProjectSpec, ColumnSpec, FieldType, Principal } from './model.js';
export { KOPPEL_VERSION } from './version.js';
