/**
 * The records the store hands out: plain, JSON-serialisable objects whose snake_case fields are
 * exactly what the API responses show. They carry pseudonyms' key ids, hashes, counts and
 * value-free reports; never a cleartext identifier.
 */
import type { DatasetSchema, ProjectSpec } from '../model.js';

/** One stored data file: its name in the record's directory, size and content hash. */
export interface StoredFile {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly rows?: number;
}

export interface DatasetRecord {
  readonly name: string;
  readonly supplier: string;
  readonly schema: DatasetSchema;
  readonly created_at: string;
  readonly created_by: string;
}

export interface ProjectRecord extends ProjectSpec {
  /** `prj_<random>`: immutable, and the input of the project's release key (design.md "Keys"). */
  readonly id: string;
  readonly created_at: string;
  readonly created_by: string;
}

export type DeliveryStatus = 'current' | 'superseded';

export interface DeliveryRecord {
  readonly id: string;
  readonly dataset: string;
  readonly period: string;
  readonly version: number;
  readonly status: DeliveryStatus;
  readonly rows_kept: number;
  /** Uploaded with ?empty=true: the supplier declared a period without records (rows_kept is 0). */
  readonly declared_empty: boolean;
  readonly report: object;
  readonly key_id: string;
  /** sha256 of the uploaded (decompressed) body: what makes a re-upload idempotent. */
  readonly body_sha256: string;
  readonly files: readonly StoredFile[];
  readonly created_at: string;
  readonly created_by: string;
  readonly superseded_at: string | null;
  readonly superseded_by: string | null;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface JobRecord {
  readonly id: string;
  readonly project_id: string;
  readonly status: JobStatus;
  readonly settings: object;
  readonly progress: object | null;
  readonly report: object | null;
  readonly error: object | null;
  /** The job's stored files (`<name>.arrow`, `report.json`), empty until `writeJobFiles`. */
  readonly files: readonly StoredFile[];
  readonly created_at: string;
  readonly created_by: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  readonly updated_at: string;
}

export type ReleaseStatus = 'draft' | 'approved';

export interface ReleaseRecord {
  readonly id: string;
  readonly job_id: string;
  readonly project_id: string;
  readonly status: ReleaseStatus;
  /** The manifest as stored in `releases/<id>/manifest.json` (draft, then finalised). */
  readonly manifest: Record<string, unknown>;
  readonly files: readonly StoredFile[];
  readonly created_at: string;
  readonly created_by: string;
  readonly approved_at: string | null;
  readonly approved_by: string | null;
  /** Set when an operator withdrew the approved release: its files are no longer served. */
  readonly withdrawn: { readonly at: string; readonly by: string; readonly reason: string } | null;
}

export type AuditOutcome = 'ok' | 'refused' | 'failed';

export interface AuditInput {
  readonly actor: string;
  readonly action: string;
  readonly target?: string;
  readonly outcome: AuditOutcome;
  /** Value-free context (counts, ids, column names): the store cannot check that, callers must. */
  readonly detail?: object;
}

export interface AuditEntry {
  readonly seq: number;
  readonly ts: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly outcome: AuditOutcome;
  readonly detail: object | null;
  readonly key_id: string;
  readonly prev_mac: string;
  readonly mac: string;
}

export interface AuditHead {
  readonly seq: number;
  readonly mac: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly entries: number;
  /** seq of the first entry that does not verify (or where the chain breaks). */
  readonly firstBad?: number;
  readonly reason?: string;
  /** Data files the entries recorded: hashed and matching, or no longer on disk (audit-files.ts). */
  readonly files?: { readonly checked: number; readonly missing: number };
}

export interface TokenInfo {
  readonly tokenId: string;
  readonly principal: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
  readonly expiresAt: string | null;
}
