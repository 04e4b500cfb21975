/**
 * The one catalogue of Koppel's coded errors.
 *
 * Every error that crosses a layer carries a stable `code` (`KOPPEL_ERR_<AREA>_<WHAT>`) and
 * the HTTP status it maps to. Callers match on `.code`, never on message text.
 * Messages name rows, columns, fields, counts and types; they NEVER contain a value taken
 * from a supplier's extract (a national number, a name, a date of birth).
 *
 * `test/unit/errors.test.ts` keeps this table and the README's error table in step.
 */

export interface ErrorDefinition {
  readonly status: number;
  /** What went wrong, in general terms (the README table's "meaning"). */
  readonly meaning: string;
  /** What the caller can do about it. */
  readonly fix: string;
}

export const ERROR_CATALOGUE = {
  // configuration
  KOPPEL_ERR_CFG_INVALID: { status: 500, meaning: 'The configuration has invalid or missing settings.', fix: 'Correct the settings listed in the message.' },
  KOPPEL_ERR_CFG_ENGINE_UNAVAILABLE: { status: 500, meaning: 'The chosen link engine cannot be loaded (an optional package is not installed).', fix: 'Install the package the message names (`npm install @duckdb/node-api`), or choose the in-process engine.' },

  // keys
  KOPPEL_ERR_KEY_MISSING: { status: 500, meaning: 'No master key is available in the keys directory.', fix: 'Run `koppel keys init --keys DIR`.' },
  KOPPEL_ERR_KEY_INVALID: { status: 500, meaning: 'A key file is malformed or has unsafe permissions.', fix: 'Restore the key file or fix its permissions (0600).' },
  KOPPEL_ERR_KEY_UNKNOWN_ID: { status: 500, meaning: 'Data refers to a key id that the keyring does not hold.', fix: 'Restore the key file with that id.' },
  KOPPEL_ERR_KEY_EXISTS: { status: 409, meaning: 'A key with that id already exists.', fix: 'Keys are never overwritten; choose another id.' },
  KOPPEL_ERR_KEY_ROTATION_OPEN: { status: 409, meaning: 'A key rotation window is already open.', fix: 'Finish it first: `koppel keys rotation` shows what is left, `koppel keys retire` closes it.' },
  KOPPEL_ERR_KEY_NO_ROTATION: { status: 409, meaning: 'No key rotation window is open.', fix: 'Start one with `koppel keys rotate`.' },
  KOPPEL_ERR_KEY_STILL_NEEDED: { status: 409, meaning: 'The old key of the rotation window is still needed: a job is running, or a dataset has not been delivered under the new key yet.', fix: 'Wait for the jobs and the deliveries the message lists, or retire with `--force` and accept what the message says it costs.' },

  // authentication and authorisation
  KOPPEL_ERR_AUTH_MISSING_TOKEN: { status: 401, meaning: 'The request has no bearer token.', fix: 'Send `Authorization: Bearer <token>`.' },
  KOPPEL_ERR_AUTH_INVALID_TOKEN: { status: 401, meaning: 'The bearer token is unknown or revoked.', fix: 'Ask an operator for a new token.' },
  KOPPEL_ERR_AUTH_EXPIRED_TOKEN: { status: 401, meaning: 'The bearer token has expired.', fix: 'Ask an operator for a new token (`koppel token create`).' },
  KOPPEL_ERR_AUTH_BAD_EXPIRY: { status: 400, meaning: 'A token lifetime is out of range.', fix: 'Give --expires-in a whole number of days from 1 to 366.' },
  KOPPEL_ERR_AUTH_FORBIDDEN: { status: 403, meaning: 'The principal may not do this.', fix: 'Use a token of the role the route requires.' },
  KOPPEL_ERR_AUTH_FOUR_EYES: { status: 403, meaning: 'The builder of a release may not approve it; nor, for a release a recurrent product built, the operator who registered or last changed the product.', fix: 'Ask a second operator to approve.' },
  KOPPEL_ERR_AUTH_OUTSIDE_VALIDITY: { status: 403, meaning: 'The project is outside its validity window.', fix: 'Downloads are allowed only between valid_from and valid_to.' },
  KOPPEL_ERR_AUTH_BAD_ROLE: { status: 400, meaning: 'A principal is not of the form operator:<name>, supplier:<name>, researcher:<name> or reviewer:<name> (system:koppel is Koppel itself and never holds a token).', fix: 'Name the role and a name of letters, digits, dots, dashes or underscores.' },

  // ingest: faults of a whole delivery (the delivery is rejected)
  KOPPEL_ERR_INGEST_EMPTY: { status: 400, meaning: 'The upload has no data: no header, nothing at all, or a header without data rows.', fix: 'Send a file with a header row and data rows; for a period in which the dataset truly has no records, send the header only with ?empty=true.' },
  KOPPEL_ERR_INGEST_NOT_EMPTY: { status: 422, meaning: 'The upload was declared empty (?empty=true) but holds data rows.', fix: 'Send it without ?empty=true, or send a header-only file for a period without records.' },
  KOPPEL_ERR_INGEST_HEADER: { status: 422, meaning: 'The header does not match the dataset schema (missing, unknown or duplicate columns).', fix: 'Send exactly the columns the dataset declares.' },
  KOPPEL_ERR_INGEST_UNTERMINATED_QUOTE: { status: 422, meaning: 'A quoted field is never closed.', fix: 'Close the quote at the row and column named.' },
  KOPPEL_ERR_INGEST_ENCODING: { status: 415, meaning: 'The file is not valid UTF-8.', fix: 'Re-export the file as UTF-8.' },
  KOPPEL_ERR_INGEST_TOO_LARGE: { status: 413, meaning: 'The upload is larger than the configured limit.', fix: 'Split the delivery or ask the operator to raise the limit.' },
  KOPPEL_ERR_INGEST_UNSUPPORTED_MEDIA: { status: 415, meaning: 'The content type or encoding is not supported.', fix: 'Send text/csv, an Arrow IPC stream (application/vnd.apache.arrow.stream) or Parquet (application/vnd.apache.parquet), optionally gzip-encoded.' },
  KOPPEL_ERR_INGEST_BAD_GZIP: { status: 400, meaning: 'The gzip stream is corrupt or truncated.', fix: 'Compress the file again and re-send it.' },
  KOPPEL_ERR_INGEST_FIELD_TOO_LARGE: { status: 413, meaning: 'One field is longer than the configured limit per field (64 KiB by default).', fix: 'Correct the value at the row and column named, or ask the operator to raise maxFieldBytes.' },
  KOPPEL_ERR_INGEST_ROW_TOO_LARGE: { status: 413, meaning: 'One row is longer than the configured limit per row (1 MiB by default).', fix: 'Correct the row named, or ask the operator to raise maxRowBytes.' },
  KOPPEL_ERR_INGEST_TOO_MANY_ROWS: { status: 413, meaning: 'The delivery holds more rows than the configured limit per delivery (counted as rows arrive, whatever the format).', fix: 'Split the delivery or ask the operator to raise maxRowsPerDelivery.' },
  KOPPEL_ERR_INGEST_TOO_MANY_REJECTED: { status: 422, meaning: 'More rows were rejected than the delivery may lose.', fix: 'Fix the rows listed in the quality report.' },
  KOPPEL_ERR_INGEST_ABORTED: { status: 400, meaning: 'The upload ended before the body was complete.', fix: 'Send the delivery again.' },
  KOPPEL_ERR_INGEST_COLUMNAR: { status: 422, meaning: 'The body is not a readable Arrow IPC stream or file, or Parquet file (wrong format, truncated or damaged).', fix: 'Write the file again with an Arrow or Parquet library and send all of it, with the matching content type.' },
  KOPPEL_ERR_INGEST_COLUMN_TYPE: { status: 422, meaning: 'An Arrow or Parquet column has a type that cannot be read as a value (a list, struct, binary, time of day, ...).', fix: 'Store the column named as text, a number, a boolean, a date or a timestamp.' },

  // dataset schemas and project authorisations
  KOPPEL_ERR_SCHEMA_INVALID: { status: 400, meaning: 'A dataset schema or project authorisation is invalid.', fix: 'Correct the fields listed in the message.' },
  KOPPEL_ERR_SCHEMA_EXISTS: { status: 409, meaning: 'A dataset with that name already exists.', fix: 'Choose another name.' },
  KOPPEL_ERR_SCHEMA_TABLE_INVALID: { status: 400, meaning: 'A table specification is invalid (a dimension, the measure, the value or unit column, the policy or the source).', fix: 'Correct the field named in the message.' },
  KOPPEL_ERR_SCHEMA_TABLE_EXISTS: { status: 409, meaning: 'The project already has a table of that name.', fix: 'Build a new version of that table, or choose another name.' },
  KOPPEL_ERR_SCHEMA_UNKNOWN_DATASET: { status: 404, meaning: 'No dataset has that name.', fix: 'Register the dataset first.' },
  KOPPEL_ERR_SCHEMA_BAD_PERIOD: { status: 400, meaning: 'The period is not YYYY, YYYYQn or YYYY-MM.', fix: 'Use e.g. 2024, 2024Q1 or 2024-03.' },
  KOPPEL_ERR_SCHEMA_BAD_PRODUCT: { status: 400, meaning: 'A recurrent product\'s settings are invalid: a dataset the project does not approve or that has no periodic schedule, a schedule finer than a dataset\'s, a first period spelt otherwise, or a job or release setting.', fix: 'Correct the settings listed in the message.' },
  KOPPEL_ERR_SCHEMA_KEY_VARIABLE_COPY: { status: 400, meaning: 'A project approves a non-key attribute computed from (or being) the source column of a key variable, so it would carry the key variable\'s information past disclosure control.', fix: 'Declare the attribute a key variable too, or leave it out of the approval.' },

  // linkage
  KOPPEL_ERR_LINK_BAD_JOB: { status: 400, meaning: 'The job request or job file is invalid.', fix: 'Correct the settings listed in the message.' },
  KOPPEL_ERR_LINK_UNKNOWN_DELIVERY: { status: 404, meaning: 'A job names a delivery that does not exist.', fix: 'Use delivery ids returned by uploads.' },
  KOPPEL_ERR_LINK_KEYS_DIFFER: { status: 422, meaning: 'A job\'s deliveries were pseudonymised under keys that no two of them share (made before and after a key rotation window).', fix: 'Link them in separate jobs, or have the older deliveries uploaded again (`?supersede=true`) so they are made under the current key.' },
  KOPPEL_ERR_LINK_DELIVERY_NOT_ALLOWED: { status: 422, meaning: 'A job names a delivery whose dataset the project does not approve, or a superseded one.', fix: 'Use current deliveries of the datasets the project approves.' },
  KOPPEL_ERR_LINK_NO_REVIEW: { status: 404, meaning: 'The job has no review queue: it ran without a probabilistic pass, or before clerical review existed.', fix: 'Run the job again to get a queue of uncertain pairs.' },
  KOPPEL_ERR_LINK_UNKNOWN_PAIR: { status: 404, meaning: 'The job\'s review queue has no pair with that number.', fix: 'Use a pair number from GET /v1/jobs/{id}/review.' },
  KOPPEL_ERR_LINK_JOB_NOT_DONE: { status: 409, meaning: 'The job has not finished successfully.', fix: 'Wait until the job status is `succeeded`.' },
  KOPPEL_ERR_LINK_INTERRUPTED: { status: 500, meaning: 'The job was interrupted by a server stop.', fix: 'Run the job again.' },
  KOPPEL_ERR_LINK_SOURCE_UNREADABLE: { status: 400, meaning: 'A source file of a job cannot be read.', fix: 'Check the path and format named in the message.' },
  KOPPEL_ERR_LINK_WORKER_FAILED: { status: 500, meaning: 'A worker thread of the run stopped before it finished (out of memory, or killed).', fix: 'Give Node more memory (NODE_OPTIONS=--max-old-space-size=MB) and run again.' },
  KOPPEL_ERR_LINK_ENGINE_FAILED: { status: 500, meaning: 'The SQL engine running the link stage (DuckDB) failed; its own message is not passed on, as it could quote encodings.', fix: 'Run the job on the in-process engine, or with more memory for the SQL engine; report the stage the message names.' },
  KOPPEL_ERR_LINK_OVER_MEMORY_BUDGET: { status: 507, meaning: 'The run\'s estimated peak memory (from its record counts and fields) is over the memory budget; it was not started.', fix: 'Raise KOPPEL_MEMORY_BUDGET if the machine has the memory, or link fewer or smaller deliveries.' },

  // release
  KOPPEL_ERR_RELEASE_NOT_FOUND: { status: 404, meaning: 'No such release is visible to this principal.', fix: 'Check the release id.' },
  KOPPEL_ERR_RELEASE_TABLE_NOT_FOUND: { status: 404, meaning: 'No such table, table version or table file is visible to this principal.', fix: 'Check the id and file name (table.csv, table.json, table.sdmx.csv, manifest.json, datapackage.json).' },
  KOPPEL_ERR_RELEASE_FILE_NOT_FOUND: { status: 404, meaning: 'The release has no file of that name.', fix: 'Use a name listed in the manifest, with .arrow, .parquet or .csv, or a listed document (quality.html).' },
  KOPPEL_ERR_RELEASE_ALREADY_APPROVED: { status: 409, meaning: 'The release is already approved.', fix: 'Nothing to do.' },
  KOPPEL_ERR_RELEASE_BAD_POLICY: { status: 422, meaning: 'The project policy cannot be applied to the job (a key variable or approved variable no source provides).', fix: 'Correct the project authorisation or the job deliveries.' },
  KOPPEL_ERR_RELEASE_KEY_VARIABLE_COPY: { status: 422, meaning: 'A released non-key column determines a key variable across the released persons (a copy or a recoding of it), so suppression could be undone.', fix: 'Declare the column a key variable of the project, or leave it out of the approval.' },
  KOPPEL_ERR_RELEASE_CROSS_EXPOSURE: { status: 409, meaning: 'A researcher of the project already holds (or is about to hold) another release with the same record-level columns of the same dataset, enough to join records across releases.', fix: 'Leave the shared columns out, or build again with a `justification` that the audit trail and the manifest record.' },
  KOPPEL_ERR_RELEASE_LONGITUDINAL_UNSAFE: { status: 422, meaning: 'A longitudinal project\'s approved releases and this one, joined on their shared pseudonyms, cannot stay k-anonymous: persons would be in groups under k with nothing left to withhold.', fix: 'Build from deliveries that cover more persons, lower the detail of the key variables (hierarchies), or start a project with per-release pseudonyms.' },
  KOPPEL_ERR_RELEASE_LEDGER_STALE: { status: 409, meaning: 'Another release of the longitudinal project was approved after this draft was built, so the draft was checked against an older ledger.', fix: 'Build the release again and approve the new draft.' },
  KOPPEL_ERR_RELEASE_WITHDRAWN: { status: 410, meaning: 'An operator withdrew the release; its files are no longer handed out.', fix: 'Ask the trusted third party why (the audit trail records the reason), and use another release.' },
  KOPPEL_ERR_RELEASE_NOT_APPROVED: { status: 409, meaning: 'The operation needs an approved release, and this one is a draft (or already withdrawn).', fix: 'Approve the release first, or leave it as it is.' },
  KOPPEL_ERR_RELEASE_BAD_TABLE: { status: 422, meaning: 'The table specification or its suppression policy is invalid (a dimension, the measure, or a rule parameter).', fix: 'Correct the settings listed in the message.' },
  KOPPEL_ERR_RELEASE_TABLE_UNSAFE: { status: 422, meaning: 'The audit of a suppressed table found a sensitive cell that the published cells and totals narrow below its protection interval.', fix: 'Do not publish the table; report it (the suppression should never leave this), or coarsen a dimension and build again.' },

  // store
  KOPPEL_ERR_STORE_CONFLICT: { status: 409, meaning: 'A different delivery for this dataset and period already exists.', fix: 'Add `?supersede=true` to store a new version.' },
  KOPPEL_ERR_STORE_NOT_FOUND: { status: 404, meaning: 'The resource does not exist.', fix: 'Check the id.' },
  KOPPEL_ERR_STORE_CORRUPT: { status: 500, meaning: 'A stored file is missing or does not match its recorded hash.', fix: 'Restore the data directory from backup.' },
  KOPPEL_ERR_STORE_AUDIT_BROKEN: { status: 500, meaning: 'The audit chain does not verify.', fix: 'Investigate: an entry was edited, removed or reordered.' },
  KOPPEL_ERR_STORE_UNKNOWN_FORMAT: { status: 500, meaning: 'A stored delivery file was written in a format newer than this version of Koppel reads.', fix: 'Run the Koppel version that wrote the data directory, or a newer one.' },
  KOPPEL_ERR_STORE_NO_SPACE: { status: 507, meaning: 'The data directory has less free disk space than the job\'s outputs are estimated to need.', fix: 'Free or add disk space (the message names the estimate and what is free), then run the job again.' },

  // HTTP API
  KOPPEL_ERR_API_BAD_REQUEST: { status: 400, meaning: 'The request does not match the route schema.', fix: 'Correct the fields listed in the message.' },
  KOPPEL_ERR_API_NOT_FOUND: { status: 404, meaning: 'No such route.', fix: 'See /docs for the routes.' },
  KOPPEL_ERR_API_RATE_LIMITED: { status: 429, meaning: 'Too many refused requests from this address.', fix: 'Wait for the number of seconds in Retry-After, and send a valid token for the route.' },
  KOPPEL_ERR_API_BUSY: { status: 429, meaning: 'The server holds as many whole-body uploads (Parquet, Arrow IPC file) as it may at once.', fix: 'Send again after the seconds in Retry-After, or send an Arrow IPC stream or CSV, which are read as they arrive.' },
  KOPPEL_ERR_API_OVERLOADED: { status: 503, meaning: 'The server is over its event-loop or memory limit.', fix: 'Send again after the seconds in Retry-After.' },
  KOPPEL_ERR_API_INTERNAL: { status: 500, meaning: 'An unexpected error; details are in the server log (redacted).', fix: 'Report it with the request id.' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Structured, value-free context: row numbers, column names, counts. */
export type ErrorDetails = Record<string, string | number | boolean | null | readonly (string | number)[]>;

export class KoppelError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, details?: ErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KoppelError';
    this.code = code;
    this.statusCode = ERROR_CATALOGUE[code].status;
    this.details = details;
  }
}

export function isKoppelError(err: unknown): err is KoppelError {
  return err instanceof KoppelError;
}

/**
 * An error as it crosses a thread boundary (structured-cloneable): the one form in which every
 * worker sends a failure back (util/worker-pool.ts). A KoppelError keeps its code, message and
 * details; any other error keeps its name, message, stack and a system code such as `ENOENT`,
 * so that it says in a worker what it would have said inline.
 */
export interface SerializedError {
  readonly code: string | null;
  readonly name: string;
  readonly message: string;
  readonly details: ErrorDetails | null;
  readonly stack: string | undefined;
}

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { code: null, name: 'Error', message: 'a non-Error value was thrown', details: null, stack: undefined };
  const coded = err as Error & { code?: unknown; details?: ErrorDetails };
  return {
    code: typeof coded.code === 'string' ? coded.code : null,
    name: err.name, message: err.message, details: err instanceof KoppelError ? err.details ?? null : null, stack: err.stack,
  };
}

/** The error as thrown on the receiving side: a known code becomes the same KoppelError. */
export function deserializeError(e: SerializedError): Error {
  if (e.code !== null && e.code in ERROR_CATALOGUE) return new KoppelError(e.code as ErrorCode, e.message, e.details ?? undefined);
  const err = new Error(e.message) as NodeJS.ErrnoException;
  err.name = e.name;
  if (e.code !== null) err.code = e.code;
  if (e.stack !== undefined) err.stack = `${e.stack}\n    (in a worker thread)`;
  return err;
}
