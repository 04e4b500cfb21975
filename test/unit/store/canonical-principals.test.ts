import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { initKey, loadKeyring, openStore } from '../../../src/store/index.js';
import { tempDir } from './store-fixture.js';

/** A data dir as Koppel wrote it before principals were canonical (schema version 1). */
function versionOneDataDir(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'koppel.db'));
  db.exec(MIGRATIONS[0] as string);
  db.pragma('user_version = 1');
  const at = '2026-01-01T00:00:00.000Z';
  const token = db.prepare('INSERT INTO tokens (token_id, principal, secret_sha256, created_at, created_by, revoked_at) VALUES (?, ?, ?, ?, ?, ?)');
  token.run('tok_00000000000000000001', 'operator:Ops', Buffer.alloc(32), at, 'cli', null);
  token.run('tok_00000000000000000002', 'operator:ops', Buffer.alloc(32), at, 'cli', null);
  token.run('tok_00000000000000000003', 'supplier:VDAB', Buffer.alloc(32), at, 'cli', null);
  db.prepare('INSERT INTO datasets (name, supplier, schema_json, created_at, created_by) VALUES (?, ?, ?, ?, ?)')
    .run('vdab_jobseekers', 'VDAB', JSON.stringify({ name: 'vdab_jobseekers', supplier: 'VDAB', schedule: 'quarterly', columns: [] }), at, 'operator:Ops');
  db.prepare('INSERT INTO projects (id, spec_json, created_at, created_by) VALUES (?, ?, ?, ?)')
    .run('prj_00000000000000000001', JSON.stringify({ researchers: ['researcher:An', 'researcher:an', 'researcher:Bo'] }), at, 'operator:Ops');
  db.prepare("INSERT INTO jobs (id, project_id, status, settings_json, created_at, created_by, updated_at) VALUES (?, ?, 'succeeded', '{}', ?, ?, ?)")
    .run('job_00000000000000000001', 'prj_00000000000000000001', at, 'operator:Ops', at);
  db.prepare("INSERT INTO releases (id, job_id, project_id, status, manifest_json, files_json, created_at, created_by, approved_at, approved_by) VALUES (?, ?, ?, 'approved', '{}', '[]', ?, ?, ?, ?)")
    .run('rel_00000000000000000001', 'job_00000000000000000001', 'prj_00000000000000000001', at, 'operator:Ops', at, 'operator:ops');
  db.close();
}

t.test('opening an old data dir folds principals, revokes colliding spellings and reports them in the audit trail', async (t) => {
  const dir = tempDir(t);
  const dataDir = path.join(dir, 'data');
  const keysDir = path.join(dir, 'keys');
  versionOneDataDir(dataDir);
  initKey(keysDir);
  const store = openStore({ dataDir, keyring: loadKeyring(keysDir) });
  t.teardown(() => store.close());

  const tokens = new Map(store.listTokens().map((x) => [x.tokenId, x]));
  t.equal(tokens.get('tok_00000000000000000001')!.principal, 'operator:ops');
  t.not(tokens.get('tok_00000000000000000001')!.revokedAt, null, 'operator:Ops and operator:ops collide: never merged, both revoked');
  t.not(tokens.get('tok_00000000000000000002')!.revokedAt, null);
  t.equal(tokens.get('tok_00000000000000000003')!.revokedAt, null, 'a spelling without a twin is only folded');
  t.equal(tokens.get('tok_00000000000000000003')!.principal, 'supplier:vdab');
  const expires = Date.parse(tokens.get('tok_00000000000000000003')!.expiresAt!);
  t.ok(Math.abs(expires - Date.now() - 90 * 86_400_000) < 3_600_000, 'tokens made before expiry existed expire 90 days after the migration');

  t.equal(store.getDataset('vdab_jobseekers')!.schema.supplier, 'vdab', 'the dataset owner is folded, in its row and its schema');
  t.same(store.getProject('prj_00000000000000000001')!.researchers, ['researcher:an', 'researcher:bo'], 'researchers folded, one entry per person');
  const release = store.getRelease('rel_00000000000000000001')!;
  t.equal(release.created_by, 'operator:ops');
  t.equal(release.approved_by, 'operator:ops');

  const notices = store.listAudit({ limit: 100 }).filter((e) => e.action.startsWith('notice.'));
  t.same(notices.map((e) => e.action).sort(), ['notice.principal.collision', 'notice.release.self_approved', 'notice.researcher.collision'], 'each finding is audited');
  t.ok(notices.every((e) => e.actor === 'system:migration'));
  const again = openStore({ dataDir, keyring: loadKeyring(keysDir) });
  t.equal(again.listAudit({ limit: 100 }).filter((e) => e.action.startsWith('notice.')).length, notices.length, 'a notice is audited once');
  again.close();
});
