/**
 * Deliveries: one dataset, one period, versioned. Files are staged, then published and recorded
 * in one SQLite write transaction (see `staging.ts`), so a delivery is visible exactly when its
 * row exists, and at most one version per (dataset, period) is current.
 */
import path from 'node:path';
import { KoppelError } from '../errors.js';
import { isPeriod } from '../model.js';
import type { StoredFileRef } from './stored-files.js';
import type { Db } from './database.js';
import { removeTree } from './durable-fs.js';
import { newId, now } from './ids.js';
import type { DeliveryRecord, DeliveryStatus, StoredFile } from './records.js';
import {
  LINKAGE_FILE, PAYLOAD_FILE, newDeliveryStaging, stagingDirOf, type DeliveryStaging,
} from './staging.js';

export interface CommitMeta {
  readonly dataset: string;
  readonly period: string;
  readonly bodySha256: string;
  readonly keyId: string;
  readonly report: object;
  readonly rowsKept: number;
  /** Default false. */
  readonly declaredEmpty?: boolean;
  readonly by: string;
  readonly supersede: boolean;
  /** Runs inside the commit's transaction once the row exists (a key rotation claims its pairs). */
  readonly withRow?: (deliveryId: string) => void;
}

interface DeliveryRow {
  id: string;
  dataset: string;
  period: string;
  version: number;
  status: DeliveryStatus;
  body_sha256: string;
  rows_kept: number;
  declared_empty: number;
  report_json: string;
  key_id: string;
  files_json: string;
  created_at: string;
  created_by: string;
  superseded_at: string | null;
  superseded_by: string | null;
}

function deliveryRecord(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    dataset: row.dataset,
    period: row.period,
    version: row.version,
    status: row.status,
    rows_kept: row.rows_kept,
    declared_empty: row.declared_empty === 1,
    report: JSON.parse(row.report_json) as object,
    key_id: row.key_id,
    body_sha256: row.body_sha256,
    files: JSON.parse(row.files_json) as StoredFile[],
    created_at: row.created_at,
    created_by: row.created_by,
    superseded_at: row.superseded_at,
    superseded_by: row.superseded_by,
  };
}

export class Deliveries {
  private readonly byId;
  private readonly current;
  private readonly maxVersion;
  private readonly datasetExists;
  private readonly supersede;
  private readonly insert;
  private readonly listAll;
  private readonly listByDataset;

  constructor(private readonly db: Db, private readonly deliveriesDir: string, private readonly stagingDir: string) {
    this.byId = db.prepare<[string], DeliveryRow>('SELECT * FROM deliveries WHERE id = ?');
    this.current = db.prepare<[string, string], DeliveryRow>("SELECT * FROM deliveries WHERE dataset = ? AND period = ? AND status = 'current'");
    this.maxVersion = db.prepare<[string, string], { v: number | null }>('SELECT MAX(version) AS v FROM deliveries WHERE dataset = ? AND period = ?');
    this.datasetExists = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM datasets WHERE name = ?');
    this.supersede = db.prepare("UPDATE deliveries SET status = 'superseded', superseded_at = ?, superseded_by = ? WHERE id = ?");
    this.insert = db.prepare(`INSERT INTO deliveries (id, dataset, period, version, status, body_sha256, rows_kept, declared_empty, report_json, key_id, files_json, created_at, created_by)
      VALUES (@id, @dataset, @period, @version, 'current', @body_sha256, @rows_kept, @declared_empty, @report_json, @key_id, @files_json, @created_at, @created_by)`);
    this.listAll = db.prepare<[], DeliveryRow>('SELECT * FROM deliveries ORDER BY dataset, period, version');
    this.listByDataset = db.prepare<[string], DeliveryRow>('SELECT * FROM deliveries WHERE dataset = ? ORDER BY period, version');
  }

  stage(): DeliveryStaging {
    return newDeliveryStaging(this.stagingDir);
  }

  commit(handle: DeliveryStaging, meta: CommitMeta): { delivery: DeliveryRecord; created: boolean } {
    const staging = stagingDirOf(handle);
    let published: string | null = null;
    try {
      if (!isPeriod(meta.period)) {
        throw new KoppelError('KOPPEL_ERR_SCHEMA_BAD_PERIOD', 'the period must be YYYY, YYYYQn or YYYY-MM', { period: meta.period.slice(0, 16) });
      }
      if (!staging.has(LINKAGE_FILE) || !staging.has(PAYLOAD_FILE)) {
        throw new Error('a delivery needs both linkage.arrow and payload.arrow written and closed before commit');
      }
      const files = staging.completedFiles();
      // IMMEDIATE: take the write lock before looking, so the check and the insert are one step
      // for every process sharing the database.
      return this.db.transaction(() => {
        if (this.datasetExists.get(meta.dataset) === undefined) {
          throw new KoppelError('KOPPEL_ERR_SCHEMA_UNKNOWN_DATASET', `no dataset named ${meta.dataset}`, { dataset: meta.dataset });
        }
        const current = this.current.get(meta.dataset, meta.period);
        if (current !== undefined && current.body_sha256 === meta.bodySha256) {
          staging.abort();
          return { delivery: deliveryRecord(current), created: false };
        }
        if (current !== undefined && !meta.supersede) {
          throw new KoppelError('KOPPEL_ERR_STORE_CONFLICT', `dataset ${meta.dataset} already has a different delivery for period ${meta.period}`, { dataset: meta.dataset, period: meta.period, current: current.id });
        }
        const id = newId('dlv');
        const createdAt = now();
        const target = path.join(this.deliveriesDir, id);
        staging.publish(target);
        published = target;
        if (current !== undefined) this.supersede.run(createdAt, id, current.id);
        const row: DeliveryRow = {
          id,
          dataset: meta.dataset,
          period: meta.period,
          version: (this.maxVersion.get(meta.dataset, meta.period)?.v ?? 0) + 1,
          status: 'current',
          body_sha256: meta.bodySha256,
          rows_kept: meta.rowsKept,
          declared_empty: meta.declaredEmpty === true ? 1 : 0,
          report_json: JSON.stringify(meta.report),
          key_id: meta.keyId,
          files_json: JSON.stringify(files),
          created_at: createdAt,
          created_by: meta.by,
          superseded_at: null,
          superseded_by: null,
        };
        this.insert.run(row);
        meta.withRow?.(id);
        return { delivery: deliveryRecord(row), created: true };
      }).immediate();
    } catch (err) {
      // The row was rolled back: the published directory must not outlive it.
      if (published !== null) removeTree(published);
      staging.abort();
      throw err;
    }
  }

  findCurrent(dataset: string, period: string): DeliveryRecord | null {
    const row = this.current.get(dataset, period);
    return row === undefined ? null : deliveryRecord(row);
  }

  get(id: string): DeliveryRecord | null {
    const row = this.byId.get(id);
    return row === undefined ? null : deliveryRecord(row);
  }

  list(filter: { dataset?: string; status?: DeliveryStatus } = {}): DeliveryRecord[] {
    const rows = filter.dataset === undefined ? this.listAll.all() : this.listByDataset.all(filter.dataset);
    return rows.filter((r) => filter.status === undefined || r.status === filter.status).map(deliveryRecord);
  }

  /** Where a delivery's recorded file is and what it must hash to, for a reader elsewhere. */
  fileRef(id: string, name: string): StoredFileRef {
    const delivery = this.get(id);
    if (delivery === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no delivery ${id}`, { delivery: id });
    const file = delivery.files.find((f) => f.name === name);
    if (file === undefined) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `delivery ${id} has no recorded ${name}`, { delivery: id, file: name });
    return { path: path.join(this.deliveriesDir, id, name), bytes: file.bytes, sha256: file.sha256, what: `deliveries/${id}/${name}` };
  }
}
