import path from 'node:path';
import { createHmac, hkdfSync } from 'node:crypto';
import t from 'tap';
import Database from 'better-sqlite3';
import { GENESIS_MAC, loadKeyring, openStore, type AuditEntry, type Store } from '../../../src/store/index.js';
import { writeKeyFile } from '../../../src/store/keyring.js';
import { sampleProject, sampleTable, storeFixture, tempDir } from './store-fixture.js';

/** Raw SQL on the store's database, as an attacker with file access would do it. */
function tamper(dataDir: string, sql: string, ...params: unknown[]): void {
  const db = new Database(path.join(dataDir, 'koppel.db'));
  db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
  db.prepare(sql).run(...params);
  db.close();
}

function fill(store: Store, n: number): AuditEntry[] {
  return Array.from({ length: n }, (_, i) => store.audit({
    actor: i % 2 === 0 ? 'operator:an' : 'supplier:vdab',
    action: i % 2 === 0 ? 'job.create' : 'delivery.upload',
    target: `tgt_${i}`,
    outcome: i === 3 ? 'refused' : 'ok',
    detail: { rows: i * 10, columns: ['a', 'b'] },
  }));
}

t.test('the mac is HMAC-SHA256 under HKDF(master, koppel/v1/audit) over prev_mac and the canonical entry', async (t) => {
  const dir = tempDir(t);
  const keysDir = path.join(dir, 'keys');
  const master = Uint8Array.from({ length: 32 }, (_, i) => i);
  writeKeyFile(keysDir, 'k20260101T000000Z-0001', master);
  const store = openStore({ dataDir: path.join(dir, 'data'), keyring: loadKeyring(keysDir) });
  t.teardown(() => store.close());
  const e1 = store.audit({ actor: 'operator:an', action: 'dataset.create', target: 'vdab', outcome: 'ok', detail: { z: 1, a: { y: 2, b: 3 } } });
  const e2 = store.audit({ actor: 'operator:an', action: 'audit.read', outcome: 'failed' });
  // Independent computation with node:crypto (not the code under test).
  const auditKey = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), Buffer.from('koppel/v1/audit'), 32));
  t.equal(auditKey.toString('hex'), 'fa2114462538a4dabb003b1c482feac33ce2182684d55fc281a63b7ce8be9812', 'pinned audit key for master 00..1f');
  const mac = (prev: string, e: AuditEntry, detailJson: string | null) => createHmac('sha256', auditKey)
    .update(Buffer.from(prev, 'hex'))
    .update(JSON.stringify(['koppel-audit-v1', e.seq, e.ts, e.actor, e.action, e.target, e.outcome, detailJson, e.key_id]))
    .digest('hex');
  t.equal(e1.prev_mac, GENESIS_MAC);
  t.equal(e1.mac, mac(GENESIS_MAC, e1, '{"a":{"b":3,"y":2},"z":1}'), 'detail is serialised with sorted keys');
  t.equal(e2.prev_mac, e1.mac);
  t.equal(e2.mac, mac(e1.mac, e2, null));
  t.same([e1.seq, e2.seq], [1, 2]);
  t.same(e2.target, null);
  t.equal(e1.key_id, 'k20260101T000000Z-0001');
});

t.test('an untouched trail verifies and can be listed page by page', async (t) => {
  const { store } = storeFixture(t);
  const entries = fill(store, 7);
  t.same(store.verifyAudit(), { ok: true, entries: 7, files: { checked: 0, missing: 0 } });
  t.same(store.auditHead(), { seq: 7, mac: entries[6].mac });
  t.same(store.listAudit({ limit: 3 }).map((e) => e.seq), [1, 2, 3]);
  t.same(store.listAudit({ after: 3, limit: 3 }).map((e) => e.seq), [4, 5, 6]);
  t.same(store.listAudit({ after: 6 }), [entries[6]]);
  t.same(store.listAudit()[3].outcome, 'refused');
  t.same(store.verifyAudit({ expectedHead: store.auditHead()! }), { ok: true, entries: 7, files: { checked: 0, missing: 0 } });
});

t.test('an empty trail verifies and has no head', async (t) => {
  const { store } = storeFixture(t);
  t.same(store.verifyAudit(), { ok: true, entries: 0, files: { checked: 0, missing: 0 } });
  t.equal(store.auditHead(), null);
});

t.test('the database refuses UPDATE and DELETE on the trail', async (t) => {
  const { store, dataDir } = storeFixture(t);
  fill(store, 2);
  const db = new Database(path.join(dataDir, 'koppel.db'));
  t.teardown(() => db.close());
  t.throws(() => db.prepare("UPDATE audit SET actor = 'x' WHERE seq = 1").run(), /append-only/);
  t.throws(() => db.prepare('DELETE FROM audit WHERE seq = 2').run(), /append-only/);
});

t.test('an edited entry is found: detail, actor or outcome changed with raw SQL', async (t) => {
  for (const [column, value] of [['detail_json', '{"columns":["a","b"],"rows":0}'], ['actor', 'operator:mallory'], ['outcome', 'ok'], ['ts', '2020-01-01T00:00:00.000Z']] as const) {
    const { store, dataDir } = storeFixture(t);
    fill(store, 6);
    tamper(dataDir, `UPDATE audit SET ${column} = ? WHERE seq = 4`, value);
    const result = store.verifyAudit();
    t.equal(result.ok, false, column);
    t.equal(result.firstBad, 4, column);
    t.match(result.reason, /altered/);
  }
});

t.test('a removed entry in the middle is found', async (t) => {
  const { store, dataDir } = storeFixture(t);
  fill(store, 6);
  tamper(dataDir, 'DELETE FROM audit WHERE seq = 3');
  const result = store.verifyAudit();
  t.match(result, { ok: false, entries: 5, firstBad: 3 });
  t.match(result.reason, /missing/);
});

t.test('a removed entry with the later ones renumbered is found as a broken link', async (t) => {
  const { store, dataDir } = storeFixture(t);
  fill(store, 5);
  tamper(dataDir, 'DELETE FROM audit WHERE seq = 2');
  tamper(dataDir, 'UPDATE audit SET seq = seq - 1 WHERE seq > 2');
  t.match(store.verifyAudit(), { ok: false, firstBad: 2 });
});

t.test('reordered entries are found', async (t) => {
  const { store, dataDir } = storeFixture(t);
  fill(store, 5);
  // Swap entries 2 and 3 wholesale (macs included), keeping the seq numbers in order.
  tamper(dataDir, 'UPDATE audit SET seq = -2 WHERE seq = 2');
  tamper(dataDir, 'UPDATE audit SET seq = 2 WHERE seq = 3');
  tamper(dataDir, 'UPDATE audit SET seq = 3 WHERE seq = -2');
  const result = store.verifyAudit();
  t.match(result, { ok: false, firstBad: 2 });
});

t.test('a truncated tail is found against a remembered head', async (t) => {
  const { store, dataDir } = storeFixture(t);
  fill(store, 6);
  const head = store.auditHead()!;
  tamper(dataDir, 'DELETE FROM audit WHERE seq > 4');
  t.same(store.verifyAudit(), { ok: true, entries: 4, files: { checked: 0, missing: 0 } }, 'a shorter chain is valid on its own');
  const result = store.verifyAudit({ expectedHead: head });
  t.match(result, { ok: false, entries: 4, firstBad: 5 });
  t.match(result.reason, /removed from the end/);
  t.match(store.verifyAudit({ expectedHead: { seq: 3, mac: 'f'.repeat(64) } }), { ok: false, firstBad: 3 }, 'a head that does not match its entry');
});

t.test('a truncated tail is found against the head an approved release recorded', async (t) => {
  const { store, dataDir } = storeFixture(t);
  const project = store.createProject(sampleProject(), 'operator:an');
  const job = store.createJob(project.id, {}, 'operator:an');
  const release = store.createRelease(job.id, project.id, [{ name: 'persons', table: sampleTable(3, 1) }], {}, 'operator:an');
  fill(store, 5);
  store.approveRelease(release.id, 'operator:bo', { actor: 'operator:bo', action: 'release.approve', target: release.id, outcome: 'ok' }, (d, head) => ({ ...d, audit_head: head }));
  t.same(store.verifyAudit(), { ok: true, entries: 6, files: { checked: 0, missing: 0 } });
  tamper(dataDir, 'DELETE FROM audit WHERE seq >= 4');
  t.match(store.verifyAudit(), { ok: false, entries: 3, firstBad: 4 });
});

t.test('without a keyring the store is usable, but audit and verify need a key', async (t) => {
  const fx = storeFixture(t);
  fill(fx.store, 2);
  fx.store.close();
  const bare = fx.reopen({ keyring: null });
  t.throws(() => bare.audit({ actor: 'operator:an', action: 'x', outcome: 'ok' }), { code: 'KOPPEL_ERR_KEY_MISSING' });
  t.throws(() => bare.verifyAudit(), { code: 'KOPPEL_ERR_KEY_MISSING' });
  t.equal(bare.listAudit().length, 2);
  t.equal(bare.auditHead()?.seq, 2);
  const { token } = bare.createToken('operator:an');
  t.ok(bare.authenticate(token), 'token management works without keys');
});

t.test('entries keyed with a key the keyring lacks do not verify', async (t) => {
  const fx = storeFixture(t);
  fill(fx.store, 2);
  fx.store.close();
  const otherKeys = path.join(fx.dir, 'other-keys');
  writeKeyFile(otherKeys, 'k20260101T000000Z-0002', new Uint8Array(32).fill(9));
  const result = fx.reopen({ keyring: loadKeyring(otherKeys) }).verifyAudit();
  t.match(result, { ok: false, firstBad: 1 });
  t.match(result.reason, /does not hold/);
});

t.test('entries made under an older key still verify after a new key becomes current', async (t) => {
  const fx = storeFixture(t);
  fill(fx.store, 2);
  fx.store.close();
  writeKeyFile(fx.keysDir, 'k29990101T000000Z-0003', new Uint8Array(32).fill(5));
  const store = fx.reopen({ keyring: loadKeyring(fx.keysDir) });
  const e = store.audit({ actor: 'operator:an', action: 'x', outcome: 'ok' });
  t.equal(e.key_id, 'k29990101T000000Z-0003');
  t.same(store.verifyAudit(), { ok: true, entries: 3, files: { checked: 0, missing: 0 } });
});

t.test('an unknown outcome is refused', async (t) => {
  const { store } = storeFixture(t);
  t.throws(() => store.audit({ actor: 'a', action: 'b', outcome: 'maybe' as 'ok' }));
  t.equal(store.listAudit().length, 0);
});
