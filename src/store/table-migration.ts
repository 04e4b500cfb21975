/**
 * Migration 11: aggregate tables (table-records.ts): specifications, their versions (draft,
 * approved, superseded; withdrawn apart) with the ledger of their cells, and each version's
 * output files. Its own module to keep migrations.ts within the size rule.
 */
export const TABLES_MIGRATION = `
  CREATE TABLE table_specs (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id),
    name       TEXT NOT NULL,
    spec_json  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (project_id, name)
  );
  CREATE TABLE table_versions (
    id               TEXT PRIMARY KEY,
    table_id         TEXT NOT NULL REFERENCES table_specs(id),
    project_id       TEXT NOT NULL REFERENCES projects(id),
    job_id           TEXT NOT NULL REFERENCES jobs(id),
    status           TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'superseded')),
    version          INTEGER,                -- set at approval: 1, 2, ... per table
    manifest_json    TEXT NOT NULL,
    dimensions_json  TEXT NOT NULL,          -- the dimensions' labels and levels: a cell's coordinates (table-shape.ts)
    measure          TEXT NOT NULL,
    cell_values      BLOB NOT NULL,          -- per cell, the protected value (count or sum), Float64 little-endian
    cell_status      BLOB NOT NULL,          -- per cell, 0 published, 1 primary, 2 secondary
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    approved_at      TEXT,
    approved_by      TEXT,
    superseded_by    TEXT,
    withdrawn_at     TEXT,
    withdrawn_by     TEXT,
    withdrawn_reason TEXT,
    UNIQUE (table_id, version)
  );
  CREATE INDEX table_versions_project ON table_versions (project_id, status);
  CREATE TABLE table_files (
    version_id TEXT NOT NULL REFERENCES table_versions(id),
    name       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    content    BLOB NOT NULL,
    PRIMARY KEY (version_id, name)
  ) WITHOUT ROWID;
  `;
