/**
 * The release manifest (manifest.json): what a release is, under which authorisation, built
 * from which job with which keys, which files with how many rows, and what disclosure control
 * did. A draft at build time; finalised at approval with the approver and the audit chain
 * head, so that truncating the audit trail afterwards is detectable. The store adds each
 * file's sha256 (and byte size) to the `files` entries, matched by `name`.
 *
 * The manifest names variables, counts and ids only: never a value from an extract.
 */
import { KoppelError } from '../errors.js';
import type { KAnonymityReport } from './k-anonymity.js';
import type { LedgerReport } from './longitudinal.js';
import type { ReleaseMetadataRules } from './metadata-keys.js';
import type { QualityReport } from './quality-report.js';

/**
 * 1: per-row `link_method` and `match_probability`, one release key per project, no rules recorded.
 * 2: `rules` records what applied: per-release or longitudinal pseudonyms, linkage metadata
 *    only per person in `persons` (counted as key variables), the key-variable copy check, and
 *    the exposure to other releases a researcher holds (with the operator's justification).
 * 3: `linkage_quality` (quality-report.ts, also the file `quality.html`, listed with its hash in
 *    `documents`), each table's Parquet copy (`parquet` on its `files` entry, with its hash),
 *    and `disclosure_control.longitudinal` for a longitudinal project (longitudinal.ts).
 */
export const MANIFEST_VERSION = 3;

/** One release a researcher already held that shares record-level columns of a dataset. */
export interface ManifestExposure {
  readonly release: string;
  readonly project: string;
  readonly dataset: string;
  readonly columns: readonly string[];
  readonly researchers: readonly string[];
}

/** The disclosure rules a release was built under (manifest version 2 on). */
export interface ReleaseRules {
  /** `per_release`: this release's own key; `longitudinal`: the project's releases share one. */
  readonly pseudonyms: 'per_release' | 'longitudinal';
  readonly release_key_purpose: string;
  readonly release_metadata: ReleaseMetadataRules;
  /** key-copies.ts: refused when lambda >= `lambda` over >= `min_persons` persons. */
  readonly key_variable_copies: { readonly lambda: number; readonly min_persons: number };
  readonly exposure: { readonly shared: readonly ManifestExposure[]; readonly justification: string | null };
}

export interface ManifestProject {
  readonly id: string;
  readonly title: string;
  readonly legal_basis: string;
  readonly valid_from: string;
  readonly valid_to: string;
}

export interface ManifestJob {
  readonly id: string;
  /** The job's settings as run (deliveries, fields, blocking, threshold, ...); JSON only. */
  readonly settings: unknown;
}

export interface ManifestFile {
  readonly name: string;
  readonly rows: number;
  readonly columns: readonly string[];
  /** Added by the store. */
  readonly file?: string;
  readonly sha256?: string;
  readonly bytes?: number;
  /** Added by the store: the table's Parquet copy. */
  readonly parquet?: { readonly file: string; readonly sha256: string; readonly bytes: number };
}

/** A release file that is not a table (quality.html), added by the store. */
export interface ManifestDocument {
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface AuditHead {
  readonly seq: number;
  readonly mac: string;
}

/** Key ids used, e.g. `{ "link:national_id": "k1", "release:<project>": "k1" }`, or a list. */
export type KeyIds = readonly string[] | Readonly<Record<string, string>>;

/** What disclosure control did: the recodings applied first, then the k-anonymity report. */
export type DisclosureControlReport = KAnonymityReport & {
  readonly generalised?: Readonly<Record<string, string>>;
  /** A longitudinal project: the union check against the approved releases `checked_against`. */
  readonly longitudinal?: LedgerReport & { readonly checked_against: readonly string[] };
};

export interface DraftManifestInput {
  readonly release_id: string;
  readonly project: ManifestProject;
  readonly job: ManifestJob;
  readonly koppel_version: string;
  readonly key_ids: KeyIds;
  readonly files: readonly ManifestFile[];
  readonly linkage_quality?: QualityReport;
  readonly disclosure_control: DisclosureControlReport;
  readonly rules?: ReleaseRules;
  /** The operator who built the release (four-eyes: may not approve it). */
  readonly built_by?: string;
  readonly built_at?: string;
  /** Merges and splits of the release's persons since the project's previous release (counts; never person ids). */
  readonly person_changes?: object;
}

export interface ReleaseManifest {
  readonly manifest_version: number;
  readonly status: 'draft' | 'approved';
  readonly release_id: string;
  readonly project: ManifestProject;
  readonly job: ManifestJob;
  readonly koppel_version: string;
  readonly key_ids: KeyIds;
  readonly files: readonly ManifestFile[];
  /** Version 3 on. */
  readonly linkage_quality?: QualityReport;
  readonly documents?: readonly ManifestDocument[];
  readonly disclosure_control: DisclosureControlReport;
  /** Absent in manifests of version 1. */
  readonly rules?: ReleaseRules;
  readonly built_by: string | null;
  readonly built_at: string | null;
  readonly person_changes?: object;
  readonly approved_by: string | null;
  readonly approved_at: string | null;
  readonly audit_head: AuditHead | null;
}

export interface Approval {
  readonly approved_by: string;
  readonly approved_at: string;
  readonly audit_head: AuditHead;
}

/** A detached, JSON-only copy: the manifest never shares objects with its inputs. */
function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function buildDraftManifest(input: DraftManifestInput): ReleaseManifest {
  if (input.release_id === '') throw new RangeError('a manifest needs a release id');
  const names = new Set<string>();
  for (const f of input.files) {
    if (names.has(f.name)) throw new RangeError(`file ${f.name} is listed twice in the manifest`);
    names.add(f.name);
    if (!Number.isInteger(f.rows) || f.rows < 0) throw new RangeError(`file ${f.name} has an invalid row count`);
  }
  return jsonCopy({
    manifest_version: MANIFEST_VERSION,
    status: 'draft' as const,
    release_id: input.release_id,
    project: {
      id: input.project.id,
      title: input.project.title,
      legal_basis: input.project.legal_basis,
      valid_from: input.project.valid_from,
      valid_to: input.project.valid_to,
    },
    job: { id: input.job.id, settings: input.job.settings ?? null },
    koppel_version: input.koppel_version,
    key_ids: input.key_ids,
    files: input.files.map((f) => ({ ...f, columns: [...f.columns] })),
    ...(input.linkage_quality === undefined ? {} : { linkage_quality: input.linkage_quality }),
    disclosure_control: input.disclosure_control,
    ...(input.rules === undefined ? {} : { rules: input.rules }),
    built_by: input.built_by ?? null,
    built_at: input.built_at ?? null,
    ...(input.person_changes === undefined ? {} : { person_changes: input.person_changes }),
    approved_by: null,
    approved_at: null,
    audit_head: null,
  });
}

/**
 * The approved manifest: the draft plus approver, time and audit chain head. Refuses a
 * manifest that is not a draft, and an approver who built the release (four-eyes).
 */
export function finaliseManifest(draft: ReleaseManifest, approval: Approval): ReleaseManifest {
  if (draft.status !== 'draft') {
    throw new KoppelError('KOPPEL_ERR_RELEASE_ALREADY_APPROVED', `release ${draft.release_id} is already approved`, { release: draft.release_id });
  }
  if (draft.built_by !== null && draft.built_by !== undefined && draft.built_by === approval.approved_by) {
    throw new KoppelError('KOPPEL_ERR_AUTH_FOUR_EYES', `release ${draft.release_id} was built by the approver`, { release: draft.release_id });
  }
  if (Number.isNaN(Date.parse(approval.approved_at))) throw new RangeError('approved_at must be an ISO 8601 time');
  if (!Number.isInteger(approval.audit_head.seq) || typeof approval.audit_head.mac !== 'string') {
    throw new RangeError('audit_head must be { seq, mac }');
  }
  return jsonCopy({
    ...draft,
    status: 'approved' as const,
    approved_by: approval.approved_by,
    approved_at: approval.approved_at,
    audit_head: { seq: approval.audit_head.seq, mac: approval.audit_head.mac },
  });
}
