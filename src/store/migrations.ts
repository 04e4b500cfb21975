/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many have run.
 * Append new migrations; never edit one that has shipped. A migration is SQL, or a function
 * for one that must read rows to decide (it runs inside the same transaction).
 */
import type Database from 'better-sqlite3';
import { canonicalisePrincipals } from './canonical-principals.js';
import { TABLES_MIGRATION } from './table-migration.js';

export type Migration = string | ((db: Database.Database) => void);

export const MIGRATIONS: readonly Migration[] = [
  // 1: the initial schema
  `
  CREATE TABLE tokens (
    token_id      TEXT PRIMARY KEY,
    principal     TEXT NOT NULL,
    secret_sha256 BLOB NOT NULL,          -- sha256 of the secret part; the token itself is never stored
    created_at    TEXT NOT NULL,
    created_by    TEXT,
    revoked_at    TEXT
  );

  CREATE TABLE datasets (
    name        TEXT PRIMARY KEY,
    supplier    TEXT NOT NULL,
    schema_json TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
  );

  CREATE TABLE projects (
    id         TEXT PRIMARY KEY,
    spec_json  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
  );

  CREATE TABLE deliveries (
    id            TEXT PRIMARY KEY,
    dataset       TEXT NOT NULL REFERENCES datasets(name),
    period        TEXT NOT NULL,
    version       INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('current', 'superseded')),
    body_sha256   TEXT NOT NULL,
    rows_kept     INTEGER NOT NULL,
    report_json   TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    files_json    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    superseded_at TEXT,
    superseded_by TEXT,
    UNIQUE (dataset, period, version)
  );
  -- At most one current delivery per dataset and period: the database enforces the invariant.
  CREATE UNIQUE INDEX deliveries_current ON deliveries (dataset, period) WHERE status = 'current';

  -- Persistent person ids (design.md: the input of release pseudonyms). One counter hands out
  -- ids for people found by pseudonym and for records without one.
  CREATE TABLE person_counter (one INTEGER PRIMARY KEY CHECK (one = 1), last INTEGER NOT NULL);
  INSERT INTO person_counter (one, last) VALUES (1, 0);
  CREATE TABLE person_pseudonyms (
    key_id    TEXT NOT NULL,
    pseudonym BLOB NOT NULL,
    person_id INTEGER NOT NULL,
    PRIMARY KEY (key_id, pseudonym)
  ) WITHOUT ROWID;
  CREATE TABLE person_records (
    delivery_id TEXT NOT NULL REFERENCES deliveries(id),
    row         INTEGER NOT NULL,
    person_id   INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, row)
  ) WITHOUT ROWID;

  CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    project_id    TEXT NOT NULL REFERENCES projects(id),
    status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    settings_json TEXT NOT NULL,
    progress_json TEXT,
    report_json   TEXT,
    error_json    TEXT,
    files_json    TEXT,                  -- set when jobs/<id>/ is in place
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT,
    updated_at    TEXT NOT NULL
  );

  CREATE TABLE releases (
    id            TEXT PRIMARY KEY,
    job_id        TEXT NOT NULL REFERENCES jobs(id),
    project_id    TEXT NOT NULL REFERENCES projects(id),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'approved')),
    manifest_json TEXT NOT NULL,         -- the truth; manifest.json on disk is a durable copy
    files_json    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    approved_at   TEXT,
    approved_by   TEXT
  );
  CREATE INDEX releases_project ON releases (project_id, status);

  CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY,
    ts          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT,
    outcome     TEXT NOT NULL,
    detail_json TEXT,
    key_id      TEXT NOT NULL,
    prev_mac    TEXT NOT NULL,
    mac         TEXT NOT NULL
  );
  -- Append-only against mistakes. Someone with write access to the file can drop these
  -- triggers; the HMAC chain is what detects that kind of tampering.
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
  `,
  // 2: principals in canonical form, token expiry, notices (canonical-principals.ts)
  canonicalisePrincipals,
  // 3: supplier timeliness: refused uploads per dataset and period, and which overdue or late
  // deliveries have been announced (log and webhook), so each is announced once.
  `
  CREATE TABLE refused_uploads (
    seq        INTEGER PRIMARY KEY,
    dataset    TEXT NOT NULL REFERENCES datasets(name),
    period     TEXT NOT NULL,
    code       TEXT NOT NULL,         -- the KOPPEL_ERR_* code of the refusal; nothing from the body
    at         TEXT NOT NULL,
    by         TEXT NOT NULL
  );
  CREATE INDEX refused_uploads_period ON refused_uploads (dataset, period);
  CREATE TABLE timeliness_notices (
    dataset    TEXT NOT NULL REFERENCES datasets(name),
    period     TEXT NOT NULL,
    status     TEXT NOT NULL,
    days_late  INTEGER NOT NULL,
    logged_at  TEXT NOT NULL,
    posted_at  TEXT,
    PRIMARY KEY (dataset, period, status)
  ) WITHOUT ROWID;
  `,
  // 4: the ledger of longitudinal projects' releases (release-ledger.ts)
  `
  CREATE TABLE release_ledger (
    project_id TEXT NOT NULL REFERENCES projects(id),
    release_id TEXT NOT NULL REFERENCES releases(id),
    pseudonym  TEXT NOT NULL,            -- the release pseudonym, shared by the project's releases
    variable   TEXT NOT NULL,            -- a key variable of the persons file
    value      TEXT,                     -- as released; NULL when nothing was released
    suppressed INTEGER NOT NULL CHECK (suppressed IN (0, 1)),
    PRIMARY KEY (release_id, pseudonym, variable)
  ) WITHOUT ROWID;
  CREATE INDEX release_ledger_project ON release_ledger (project_id);
  `,
  // 5: withdrawn releases: still approved (what was handed out stays in the ledger), no longer served
  `
  ALTER TABLE releases ADD COLUMN withdrawn_at TEXT;
  ALTER TABLE releases ADD COLUMN withdrawn_by TEXT;
  ALTER TABLE releases ADD COLUMN withdrawn_reason TEXT;
  `,
  // 6: a delivery declared empty on purpose (?empty=true: a period without records), told apart
  // from a delivery that lost its rows
  `ALTER TABLE deliveries ADD COLUMN declared_empty INTEGER NOT NULL DEFAULT 0 CHECK (declared_empty IN (0, 1));`,
  // 7: the change log of persistent persons: merges and splits, append-only (person-changes.ts)
  `
  CREATE TABLE person_changes (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('merge', 'split')),
    persons_before TEXT NOT NULL,        -- JSON array of persistent ids
    persons_after  TEXT NOT NULL,        -- JSON array of persistent ids
    evidence       TEXT NOT NULL,        -- a machine summary, never a value from an upload
    run            TEXT NOT NULL,        -- job id or review decision id
    by             TEXT NOT NULL,
    at             TEXT NOT NULL
  );
  CREATE INDEX person_changes_run ON person_changes (run);
  CREATE INDEX person_changes_at ON person_changes (at);
  CREATE TABLE person_change_persons (
    person    INTEGER NOT NULL,
    change_id INTEGER NOT NULL REFERENCES person_changes(id),
    PRIMARY KEY (person, change_id)
  ) WITHOUT ROWID;
  CREATE TRIGGER person_changes_no_update BEFORE UPDATE ON person_changes BEGIN SELECT RAISE(ABORT, 'the person change log is append-only'); END;
  CREATE TRIGGER person_changes_no_delete BEFORE DELETE ON person_changes BEGIN SELECT RAISE(ABORT, 'the person change log is append-only'); END;
  `,
  // 8: recurrent products (a project's saved job and release settings with a schedule) and their
  // runs, one attempt per row (products.ts). At most one live (running or succeeded) attempt per
  // product and period: the database enforces it, whatever commits race.
  `
  CREATE TABLE products (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id),
    spec_json   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL            -- who registered or last changed the settings
  );
  CREATE INDEX products_project ON products (project_id);
  CREATE TABLE product_runs (
    id              TEXT PRIMARY KEY,
    product_id      TEXT NOT NULL REFERENCES products(id),
    period          TEXT NOT NULL,
    attempt         INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    product_version INTEGER NOT NULL,
    settings_json   TEXT NOT NULL,       -- the product's settings as this attempt ran them
    settings_by     TEXT NOT NULL,       -- who had registered or last changed them then
    deliveries_json TEXT NOT NULL,
    job_id          TEXT REFERENCES jobs(id),
    release_id      TEXT REFERENCES releases(id),
    error_json      TEXT,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    UNIQUE (product_id, period, attempt)
  );
  CREATE UNIQUE INDEX product_runs_live ON product_runs (product_id, period) WHERE status IN ('running', 'succeeded');
  CREATE INDEX product_runs_job ON product_runs (job_id);
  CREATE INDEX product_runs_release ON product_runs (release_id);
  `,
  // 9: clerical review decisions on uncertain pairs (review-decisions.ts)
  `
  CREATE TABLE review_decisions (
    left_delivery  TEXT NOT NULL REFERENCES deliveries(id),
    left_row       INTEGER NOT NULL,
    right_delivery TEXT NOT NULL REFERENCES deliveries(id),
    right_row      INTEGER NOT NULL,
    decision       TEXT NOT NULL CHECK (decision IN ('match', 'non-match', 'unsure')),
    job_id         TEXT NOT NULL REFERENCES jobs(id),
    pair           INTEGER NOT NULL,       -- the pair's row in that job's review.arrow
    decided_by     TEXT NOT NULL,
    decided_at     TEXT NOT NULL,
    PRIMARY KEY (left_delivery, left_row, right_delivery, right_row)
  ) WITHOUT ROWID;
  CREATE INDEX review_decisions_right ON review_decisions (right_delivery);
  `,
  // 10: master-key rotation windows (key-rotations.ts): at most one open at a time, and while it
  // is open the pairs (old-key pseudonym, new-key pseudonym) seen in uploads, per upload
  // (`staging:<dir>`), and the delivery each committed upload became. All pairs are deleted when
  // the window closes.
  `
  CREATE TABLE key_rotations (
    id          INTEGER PRIMARY KEY,
    old_key_id  TEXT NOT NULL,
    new_key_id  TEXT NOT NULL UNIQUE,
    started_at  TEXT NOT NULL,
    started_by  TEXT NOT NULL,
    closed_at   TEXT,
    closed_by   TEXT,
    forced      INTEGER NOT NULL DEFAULT 0 CHECK (forced IN (0, 1))
  );
  CREATE UNIQUE INDEX key_rotations_open ON key_rotations ((1)) WHERE closed_at IS NULL;
  CREATE TABLE key_map (
    upload         TEXT NOT NULL,
    old_pseudonym  BLOB NOT NULL,
    new_pseudonym  BLOB NOT NULL
  );
  CREATE INDEX key_map_upload ON key_map (upload);
  CREATE TABLE key_map_deliveries (
    upload    TEXT PRIMARY KEY,
    delivery  TEXT NOT NULL UNIQUE
  );
  `,
  // 11: aggregate tables: specifications, versions with the ledger of their cells, files (table-migration.ts)
  TABLES_MIGRATION,
];
