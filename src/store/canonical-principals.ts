/**
 * Migration 2: principals in one canonical form (model.ts `canonicalPrincipal`), and tokens
 * with an expiry.
 *
 * Before it, `operator:Ops` and `operator:ops` were two people: a builder could approve their
 * own release under another spelling. Every stored principal is now folded to lower case. Where
 * two spellings that were in use fold to one, Koppel cannot tell whether they are one person or
 * two, so it never merges them silently: every active token of those spellings is revoked (each
 * person gets a new token from an operator) and a notice is stored, which the store logs and
 * audits at its next open (see `Notices`). A release approved by its own builder under another
 * spelling is reported the same way.
 *
 * Tokens made before expiry existed expire TOKEN_MIGRATION_DAYS after the migration.
 */
import type Database from 'better-sqlite3';

export const TOKEN_MIGRATION_DAYS = 90;

type Db = Database.Database;

const SCHEMA = `
  ALTER TABLE tokens ADD COLUMN expires_at TEXT;
  CREATE TABLE notices (
    seq         INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    detail_json TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    audited_at  TEXT
  );
`;

/** Columns holding one principal, folded in place (their values are ASCII by the old pattern). */
const PRINCIPAL_COLUMNS: readonly [table: string, column: string][] = [
  ['datasets', 'created_by'], ['projects', 'created_by'], ['deliveries', 'created_by'], ['jobs', 'created_by'],
  ['releases', 'created_by'], ['releases', 'approved_by'], ['tokens', 'created_by'],
];

function notice(db: Db, kind: string, detail: Record<string, unknown>, at: string): void {
  db.prepare('INSERT INTO notices (kind, detail_json, created_at) VALUES (?, ?, ?)').run(kind, JSON.stringify(detail), at);
}

function foldTokens(db: Db, at: string): void {
  const rows = db.prepare('SELECT token_id, principal, revoked_at FROM tokens').all() as { token_id: string; principal: string; revoked_at: string | null }[];
  const spellings = new Map<string, Set<string>>();
  for (const r of rows) {
    const folded = r.principal.toLowerCase();
    (spellings.get(folded) ?? spellings.set(folded, new Set()).get(folded)!).add(r.principal);
  }
  const revoke = db.prepare('UPDATE tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL');
  for (const [folded, seen] of spellings) {
    if (seen.size < 2) continue;
    const revoked = rows.filter((r) => r.principal.toLowerCase() === folded && r.revoked_at === null).map((r) => r.token_id);
    for (const id of revoked) revoke.run(at, id);
    notice(db, 'principal.collision', { principal: folded, spellings: [...seen].sort(), tokens_revoked: revoked }, at);
  }
  db.prepare('UPDATE tokens SET principal = lower(principal)').run();
  const expires = new Date(Date.parse(at) + TOKEN_MIGRATION_DAYS * 86_400_000).toISOString();
  db.prepare('UPDATE tokens SET expires_at = ? WHERE expires_at IS NULL').run(expires);
}

function foldDatasets(db: Db, at: string): void {
  const rows = db.prepare('SELECT name, supplier, schema_json FROM datasets').all() as { name: string; supplier: string; schema_json: string }[];
  const bySupplier = new Map<string, Set<string>>();
  const update = db.prepare('UPDATE datasets SET supplier = ?, schema_json = ? WHERE name = ?');
  for (const r of rows) {
    const folded = r.supplier.toLowerCase();
    (bySupplier.get(folded) ?? bySupplier.set(folded, new Set()).get(folded)!).add(r.supplier);
    const schema = JSON.parse(r.schema_json) as { supplier: string };
    update.run(folded, JSON.stringify({ ...schema, supplier: folded }), r.name);
  }
  for (const [folded, seen] of bySupplier) {
    if (seen.size > 1) notice(db, 'supplier.collision', { supplier: folded, spellings: [...seen].sort() }, at);
  }
}

function foldProjects(db: Db, at: string): void {
  const rows = db.prepare('SELECT id, spec_json FROM projects').all() as { id: string; spec_json: string }[];
  const update = db.prepare('UPDATE projects SET spec_json = ? WHERE id = ?');
  for (const r of rows) {
    const spec = JSON.parse(r.spec_json) as { researchers: string[] };
    const folded = [...new Set(spec.researchers.map((x) => x.toLowerCase()))];
    if (folded.length !== spec.researchers.length) notice(db, 'researcher.collision', { project: r.id, spellings: [...spec.researchers].sort() }, at);
    update.run(JSON.stringify({ ...spec, researchers: folded }), r.id);
  }
}

function reportSelfApprovals(db: Db, at: string): void {
  const rows = db.prepare(`SELECT id FROM releases WHERE approved_by IS NOT NULL AND approved_by <> created_by AND lower(approved_by) = lower(created_by)`).all() as { id: string }[];
  for (const r of rows) notice(db, 'release.self_approved', { release: r.id }, at);
}

export function canonicalisePrincipals(db: Db): void {
  const at = new Date().toISOString();
  db.exec(SCHEMA);
  reportSelfApprovals(db, at);
  foldTokens(db, at);
  foldDatasets(db, at);
  foldProjects(db, at);
  for (const [table, column] of PRINCIPAL_COLUMNS) db.prepare(`UPDATE ${table} SET ${column} = lower(${column}) WHERE ${column} IS NOT NULL`).run();
}
