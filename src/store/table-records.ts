/**
 * Aggregate tables (issue 12): an operator's table specifications over a project, their
 * versions, each version's output files and the ledger of its cells.
 *
 *   table_specs     one row per (project, name): the registered specification
 *   table_versions  one row per build: draft -> approved (numbered 1, 2, ... per table at
 *                   approval) -> superseded by the next approved version; withdrawn apart
 *                   and the ledger of its cells: the dimensions (labels and levels, so a
 *                   cell's coordinates follow from its number, table-shape.ts), and per cell
 *                   its value and status as two typed arrays (100,000 cells are 0.9 MB, one
 *                   row, written in milliseconds, not 100,000 rows)
 *   table_files     the version's outputs (CSV, JSON-stat, data package), hashed; small
 *                   (bounded by the cell count), so kept in SQLite: one transaction publishes
 *                   the row, its files and its cells together, or nothing
 *
 * A version is published once approved; superseded and withdrawn versions stay in the ledger
 * (what was handed out stays handed out), which is what later builds are made consistent with.
 */
import { createHash, randomBytes } from 'node:crypto';
import { KoppelError } from '../errors.js';
import type { Db } from './database.js';
import { now } from './ids.js';

export type TableVersionStatus = 'draft' | 'approved' | 'superseded';

export interface TableSpecRecord {
  readonly id: string;
  readonly project_id: string;
  readonly name: string;
  readonly spec: Record<string, unknown>;
  readonly created_at: string;
  readonly created_by: string;
}

export interface TableFileInfo { readonly name: string; readonly bytes: number; readonly sha256: string }

export interface TableVersionRecord {
  readonly id: string;
  readonly table_id: string;
  readonly name: string;
  readonly project_id: string;
  readonly job_id: string;
  readonly status: TableVersionStatus;
  readonly version: number | null;
  readonly manifest: Record<string, unknown>;
  readonly files: readonly TableFileInfo[];
  readonly created_at: string;
  readonly created_by: string;
  readonly approved_at: string | null;
  readonly approved_by: string | null;
  readonly superseded_by: string | null;
  readonly withdrawn: { readonly at: string; readonly by: string; readonly reason: string } | null;
}

/** What a build hands the store: its files and, per cell, labels, value and status. */
export interface NewTableVersion {
  readonly tableId: string;
  readonly projectId: string;
  readonly jobId: string;
  readonly measure: string;
  readonly dimensions: object;
  readonly manifest: (id: string, files: readonly TableFileInfo[]) => Record<string, unknown>;
  readonly files: readonly { readonly name: string; readonly bytes: Uint8Array }[];
  readonly values: Float64Array;
  readonly status: Uint8Array;
}

/** A published version as later builds read it (the engine's `earlier` tables). */
export interface PublishedTable {
  readonly id: string;
  readonly table_id: string;
  readonly version: number;
  readonly measure: string;
  readonly dimensions: unknown;
  readonly values: Float64Array;
  readonly status: Uint8Array;
}

interface VersionRow {
  id: string; table_id: string; name: string; project_id: string; job_id: string; status: TableVersionStatus; version: number | null;
  manifest_json: string; dimensions_json: string; measure: string; cell_values: Buffer; cell_status: Buffer; created_at: string; created_by: string;
  approved_at: string | null; approved_by: string | null; superseded_by: string | null;
  withdrawn_at: string | null; withdrawn_by: string | null; withdrawn_reason: string | null;
}

const VERSION_SELECT = 'SELECT v.*, s.name AS name FROM table_versions v JOIN table_specs s ON s.id = v.table_id';

function littleEndian(values: Float64Array): Buffer {
  const out = Buffer.alloc(values.length * 8);
  for (let i = 0; i < values.length; i++) out.writeDoubleLE(values[i], i * 8);
  return out;
}

function fromLittleEndian(bytes: Buffer): Float64Array {
  const out = new Float64Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readDoubleLE(i * 8);
  return out;
}

export function tableId(prefix: 'tbl' | 'tbv'): string {
  return `${prefix}_${randomBytes(10).toString('hex')}`;
}

export class TableRecords {
  constructor(private readonly db: Db) {}

  createSpec(projectId: string, name: string, spec: object, by: string): TableSpecRecord {
    const record = { id: tableId('tbl'), project_id: projectId, name, spec: spec as Record<string, unknown>, created_at: now(), created_by: by };
    try {
      this.db.prepare('INSERT INTO table_specs (id, project_id, name, spec_json, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)')
        .run(record.id, projectId, name, JSON.stringify(spec), record.created_at, by);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new KoppelError('KOPPEL_ERR_SCHEMA_TABLE_EXISTS', `project ${projectId} already has a table named ${name}`, { project: projectId, name });
      }
      throw err;
    }
    return record;
  }

  getSpec(id: string): TableSpecRecord | null {
    const row = this.db.prepare<[string], { id: string; project_id: string; name: string; spec_json: string; created_at: string; created_by: string }>(
      'SELECT * FROM table_specs WHERE id = ?').get(id);
    if (row === undefined) return null;
    const { spec_json: specJson, ...rest } = row;
    return { ...rest, spec: JSON.parse(specJson) as Record<string, unknown> };
  }

  /** Writes the version, its files and its cells in one transaction. */
  createVersion(input: NewTableVersion, by: string): TableVersionRecord {
    const id = tableId('tbv');
    const files = input.files.map((f) => ({ ...f, sha256: createHash('sha256').update(f.bytes).digest('hex') }));
    const infos = files.map((f) => ({ name: f.name, bytes: f.bytes.byteLength, sha256: f.sha256 }));
    const manifest = input.manifest(id, infos);
    const insertFile = this.db.prepare('INSERT INTO table_files (version_id, name, sha256, content) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      this.db.prepare(`INSERT INTO table_versions (id, table_id, project_id, job_id, status, manifest_json, dimensions_json, measure, cell_values, cell_status, created_at, created_by)
        VALUES (?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?)`).run(
        id, input.tableId, input.projectId, input.jobId, JSON.stringify(manifest), JSON.stringify(input.dimensions), input.measure,
        littleEndian(input.values), Buffer.from(input.status.buffer, input.status.byteOffset, input.status.byteLength), now(), by,
      );
      for (const f of files) insertFile.run(id, f.name, f.sha256, Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength));
    }).immediate();
    return this.getVersion(id)!;
  }

  getVersion(id: string): TableVersionRecord | null {
    const row = this.db.prepare<[string], VersionRow>(`${VERSION_SELECT} WHERE v.id = ?`).get(id);
    return row === undefined ? null : this.record(row);
  }

  listVersions(filter: { projectIds?: readonly string[]; approvedOnly?: boolean } = {}): TableVersionRecord[] {
    const projects = filter.projectIds === undefined ? null : new Set(filter.projectIds);
    return this.db.prepare<[], VersionRow>(`${VERSION_SELECT} ORDER BY v.created_at, v.id`).all()
      .filter((r) => (projects === null || projects.has(r.project_id)) && (filter.approvedOnly !== true || r.status !== 'draft'))
      .map((r) => this.record(r));
  }

  /**
   * Approves a draft in one transaction: numbers it, supersedes the table's previous approved
   * version, and runs `inside` (the audit entry) so that it exists exactly when the approval does.
   */
  approveVersion(id: string, by: string, inside: (version: number, superseded: string | null) => Record<string, unknown>): TableVersionRecord {
    return this.db.transaction(() => {
      const row = this.db.prepare<[string], VersionRow>(`${VERSION_SELECT} WHERE v.id = ?`).get(id);
      if (row === undefined) throw new KoppelError('KOPPEL_ERR_RELEASE_TABLE_NOT_FOUND', `no table version ${id}`, { version: id });
      if (row.status !== 'draft') throw new KoppelError('KOPPEL_ERR_RELEASE_ALREADY_APPROVED', `table version ${id} is already approved`, { version: id });
      if (row.created_by === by) throw new KoppelError('KOPPEL_ERR_AUTH_FOUR_EYES', `${by} built table version ${id} and may not approve it; a second operator must`, { version: id });
      const max = this.db.prepare<[string], { v: number | null }>('SELECT MAX(version) AS v FROM table_versions WHERE table_id = ?').get(row.table_id)?.v ?? 0;
      const previous = this.db.prepare<[string], { id: string }>(`SELECT id FROM table_versions WHERE table_id = ? AND status = 'approved'`).get(row.table_id);
      const version = max + 1;
      const manifest = inside(version, previous?.id ?? null);
      const at = now();
      this.db.prepare(`UPDATE table_versions SET status = 'approved', version = ?, manifest_json = ?, approved_at = ?, approved_by = ? WHERE id = ?`)
        .run(version, JSON.stringify(manifest), at, by, id);
      if (previous !== undefined) this.db.prepare(`UPDATE table_versions SET status = 'superseded', superseded_by = ? WHERE id = ?`).run(id, previous.id);
      return this.getVersion(id)!;
    }).immediate();
  }

  /** Marks a published version withdrawn; false when it is a draft or already withdrawn. */
  withdraw(id: string, by: string, reason: string): boolean {
    return this.db.prepare(`UPDATE table_versions SET withdrawn_at = ?, withdrawn_by = ?, withdrawn_reason = ?
      WHERE id = ? AND status != 'draft' AND withdrawn_at IS NULL`).run(now(), by, reason, id).changes === 1;
  }

  /** A version's file, checked against its recorded hash; null if there is none. */
  readFile(versionId: string, name: string): Buffer | null {
    const row = this.db.prepare<[string, string], { sha256: string; content: Buffer }>('SELECT sha256, content FROM table_files WHERE version_id = ? AND name = ?').get(versionId, name);
    if (row === undefined) return null;
    if (createHash('sha256').update(row.content).digest('hex') !== row.sha256) {
      throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `table version ${versionId} file ${name} does not match its recorded sha256`, { version: versionId });
    }
    return row.content;
  }

  /** Every published version of the project's tables (superseded and withdrawn included), oldest first. */
  published(projectId: string): PublishedTable[] {
    const rows = this.db.prepare<[string], VersionRow>(`${VERSION_SELECT} WHERE v.project_id = ? AND v.status != 'draft' ORDER BY v.approved_at, v.id`).all(projectId);
    return rows.map((r) => ({
      id: r.id, table_id: r.table_id, version: r.version ?? 0, measure: r.measure, dimensions: JSON.parse(r.dimensions_json) as unknown,
      values: fromLittleEndian(r.cell_values), status: Uint8Array.from(r.cell_status),
    }));
  }

  private record(row: VersionRow): TableVersionRecord {
    const files = this.db.prepare<[string], TableFileInfo>('SELECT name, length(content) AS bytes, sha256 FROM table_files WHERE version_id = ? ORDER BY name').all(row.id);
    return {
      id: row.id, table_id: row.table_id, name: row.name, project_id: row.project_id, job_id: row.job_id, status: row.status, version: row.version,
      manifest: JSON.parse(row.manifest_json) as Record<string, unknown>, files,
      created_at: row.created_at, created_by: row.created_by, approved_at: row.approved_at, approved_by: row.approved_by, superseded_by: row.superseded_by,
      withdrawn: row.withdrawn_at === null ? null : { at: row.withdrawn_at, by: row.withdrawn_by ?? '', reason: row.withdrawn_reason ?? '' },
    };
  }
}
