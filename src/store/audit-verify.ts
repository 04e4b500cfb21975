/**
 * `koppel audit verify` without changing the evidence: the database is opened read-only (no
 * migration, no orphan removal, no manifest repair, no notice written), and the chain is checked
 * against every head remembered outside the trail:
 * - the heads that approved manifests record, in the database AND in each release folder's
 *   manifest.json (a head that cannot be read is a finding, never skipped: deleting or mangling
 *   anchors is how a truncation would be hidden);
 * - a head the operator kept elsewhere (`--expect-head`, e.g. the file the server publishes to).
 * Once the chain holds, every data file an entry recorded and that still exists is hashed and
 * compared with the entry's sha256 (audit-files.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { KoppelError } from '../errors.js';
import { AuditChain } from './audit-chain.js';
import { checkAuditedFiles } from './audit-files.js';
import type { Keyring } from './keyring.js';
import { MIGRATIONS } from './migrations.js';
import type { AuditHead, AuditVerification } from './records.js';

const MANIFEST_FILE = 'manifest.json';

function headOf(manifest: unknown): AuditHead | null | 'malformed' {
  if (typeof manifest !== 'object' || manifest === null) return 'malformed';
  const head = (manifest as { audit_head?: unknown }).audit_head;
  if (head === undefined || head === null) return null;
  const h = head as Partial<AuditHead>;
  return Number.isSafeInteger(h.seq) && (h.seq as number) > 0 && typeof h.mac === 'string' && /^[0-9a-f]{64}$/.test(h.mac) ? { seq: h.seq as number, mac: h.mac } : 'malformed';
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Approved releases' heads from the database and from the manifests on disk; or what is wrong with them. */
function anchors(db: Database.Database, dataDir: string): { heads: AuditHead[]; problem: string | null } {
  const heads: AuditHead[] = [];
  const rows = db.prepare("SELECT id, manifest_json FROM releases WHERE status = 'approved' ORDER BY id").all() as { id: string; manifest_json: string }[];
  for (const row of rows) {
    const recorded = headOf(parse(row.manifest_json));
    if (recorded === 'malformed' || recorded === null) return { heads, problem: `release ${row.id} is approved but its recorded manifest holds no readable audit head` };
    heads.push(recorded);
    const file = path.join(dataDir, 'releases', row.id, MANIFEST_FILE);
    if (!fs.existsSync(file)) continue; // a missing file is the store's concern (STORE_CORRUPT on download), not the chain's
    const onDisk = headOf(parse(fs.readFileSync(file, 'utf8')));
    if (onDisk === 'malformed' || onDisk === null || onDisk.seq !== recorded.seq || onDisk.mac !== recorded.mac) {
      return { heads, problem: `release ${row.id}: the audit head in manifest.json differs from the one recorded in the database` };
    }
  }
  return { heads, problem: null };
}

/**
 * The database for reading, creating nothing beside it. SQLite opens a WAL database read-only
 * only with its -wal and -shm files, creating them when absent; so when there is no -wal (no
 * server running, or a clean stop: everything is in the main file), the file is read into
 * memory and opened there, its header marked as a rollback-journal database (bytes 18-19, which
 * only say how to open it). With a live -wal its content is needed: SQLite then reads the files
 * that are already there.
 */
function openReadOnly(file: string): Database.Database {
  const wal = `${file}-wal`;
  if (fs.existsSync(wal) && fs.statSync(wal).size > 0) return new Database(file, { readonly: true, fileMustExist: true });
  const bytes = fs.readFileSync(file);
  if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) bytes[18] = bytes[19] = 1;
  return new Database(bytes, { readonly: true });
}

export function verifyAuditReadOnly(dataDir: string, keyring: Keyring, expectedHead?: AuditHead): AuditVerification & { head: AuditHead | null } {
  const file = path.join(dataDir, 'koppel.db');
  if (!fs.existsSync(file)) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no Koppel database in ${dataDir}`, { file: 'koppel.db' });
  const db = openReadOnly(file);
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `the database schema (version ${version}) is newer than this Koppel (${MIGRATIONS.length})`);
    const { heads, problem } = anchors(db, dataDir);
    const chain = new AuditChain(db, keyring, () => heads);
    const head = chain.headOf();
    if (problem !== null) return { ok: false, entries: (db.prepare('SELECT COUNT(*) FROM audit').pluck().get() as number), reason: problem, head };
    const result = chain.verify(expectedHead === undefined ? {} : { expectedHead });
    if (!result.ok) return { ...result, head };
    const rows = db.prepare('SELECT seq, detail_json FROM audit WHERE detail_json IS NOT NULL ORDER BY seq').iterate() as Iterable<{ seq: number; detail_json: string }>;
    const entries = (function* () {
      for (const row of rows) yield { seq: row.seq, detail: JSON.parse(row.detail_json) as unknown };
    })();
    const files = checkAuditedFiles(dataDir, entries);
    const counts = { checked: files.checked, missing: files.missing };
    if (files.mismatch !== null) return { ok: false, entries: result.entries, firstBad: files.mismatch.seq, reason: files.mismatch.reason, files: counts, head };
    return { ...result, files: counts, head };
  } finally {
    db.close();
  }
}
