import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { openStore } from '../../../src/store/index.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { storeFixture } from './store-fixture.js';

t.test('the database runs in WAL mode with synchronous FULL, foreign keys and a migrated schema', async (t) => {
  const fx = storeFixture(t);
  fx.store.close();
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(path.join(fx.dataDir, 'koppel.db'));
  t.teardown(() => db.close());
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length, 'every migration has run');
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
  t.same(tables, ['audit', 'datasets', 'deliveries', 'jobs', 'key_map', 'key_map_deliveries', 'key_rotations', 'notices', 'person_change_persons', 'person_changes', 'person_counter', 'person_pseudonyms', 'person_records', 'product_runs', 'products', 'projects', 'refused_uploads', 'release_ledger', 'releases', 'review_decisions', 'table_files', 'table_specs', 'table_versions', 'timeliness_notices', 'tokens']);
  // synchronous and foreign_keys are per connection: check the store's own settings by behaviour.
  const again = fx.reopen();
  t.throws(() => again.createJob('prj_00000000000000000000', {}, 'operator:an'), { code: 'KOPPEL_ERR_STORE_NOT_FOUND' });
});

t.test('a database from a newer Koppel is refused', async (t) => {
  const fx = storeFixture(t);
  fx.store.close();
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(path.join(fx.dataDir, 'koppel.db'));
  db.pragma('user_version = 99');
  db.close();
  t.throws(() => openStore({ dataDir: fx.dataDir }), /newer/);
});

t.test('the data directory is created private (0700)', { skip: process.platform === 'win32' }, async (t) => {
  const fx = storeFixture(t);
  t.equal(fs.statSync(fx.dataDir).mode & 0o777, 0o700);
  t.equal(fs.statSync(path.join(fx.dataDir, 'deliveries')).mode & 0o777, 0o700);
});

t.test('koppel.db and its -wal and -shm files are mode 0600 whatever the umask', { skip: process.platform === 'win32' }, async (t) => {
  const previous = process.umask(0o000);
  t.teardown(() => { process.umask(previous); });
  const fx = storeFixture(t);
  const file = path.join(fx.dataDir, 'koppel.db');
  for (const name of [file, `${file}-wal`, `${file}-shm`]) t.equal(fs.statSync(name).mode & 0o777, 0o600, `${path.basename(name)} under umask 000`);
  fx.store.close();
  fs.chmodSync(file, 0o644);
  const again = fx.reopen();
  t.equal(fs.statSync(file).mode & 0o777, 0o600, 'an older world-readable database is tightened when opened');
  again.close();
});
