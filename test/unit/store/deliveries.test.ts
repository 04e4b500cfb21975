import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Float64, Table, Utf8, makeData, makeVector, vectorFromArray } from 'apache-arrow';
import { deliver, ls, sampleSchema, sampleTable, storeFixture } from './store-fixture.js';
import { readStoredTable } from '../../../src/store/index.js';

const hex = (s: string) => s.repeat(64).slice(0, 64);

function concatBatches(a: Table, b: Table): Table {
  return new Table(a.schema, [...a.batches, ...b.batches]);
}

t.test('a committed delivery is version 1, current, recorded with file hashes and readable back', async (t) => {
  const { store, keyring, dataDir } = storeFixture(t);
  store.createDataset(sampleSchema(), 'operator:an');
  const table = concatBatches(sampleTable(50, 1), sampleTable(30, 2)); // two batches
  const { delivery, created } = await deliver(store, keyring, { table, body: hex('1') });
  t.equal(created, true);
  t.match(delivery, { dataset: 'vdab_jobseekers', period: '2024Q1', version: 1, status: 'current', rows_kept: 80, key_id: keyring.currentId, body_sha256: hex('1'), created_by: 'supplier:vdab' });
  t.match(delivery.id, /^dlv_[0-9a-f]{20}$/);
  t.same(delivery.files.map((f) => f.name).sort(), ['linkage.arrow', 'payload.arrow']);
  t.same(ls(path.join(dataDir, 'deliveries', delivery.id)), ['linkage.arrow', 'payload.arrow']);
  t.same(ls(path.join(dataDir, 'staging')), [], 'the staging directory is gone');

  const linkage = await store.readDeliveryFile(delivery.id, 'linkage');
  const payload = await store.readDeliveryFile(delivery.id, 'payload');
  t.equal(linkage.numRows, 80);
  t.same(Array.from(linkage.getChild('value')!.toArray() as Float64Array), Array.from(table.getChild('value')!.toArray() as Float64Array));
  const pseudonyms = (t2: Table) => Buffer.concat(t2.getChild('pseudonym')!.data.map((d) => Buffer.from(d.values.subarray(d.offset * 32, (d.offset + d.length) * 32))));
  t.ok(pseudonyms(payload).equals(pseudonyms(table)), 'binary column round-trips');
  t.same(store.getDelivery(delivery.id), delivery);
  t.same(store.findCurrentDelivery('vdab_jobseekers', '2024Q1'), delivery);
  t.equal(store.findCurrentDelivery('vdab_jobseekers', '2024Q2'), null);
});

t.test('the same body again is idempotent: the existing delivery, created false, nothing new on disk', async (t) => {
  const { store, keyring, dataDir } = storeFixture(t);
  store.createDataset(sampleSchema(), 'operator:an');
  const first = await deliver(store, keyring, { body: hex('1') });
  const again = await deliver(store, keyring, { body: hex('1'), table: sampleTable(5, 9) });
  t.equal(again.created, false);
  t.same(again.delivery, first.delivery);
  t.same(ls(path.join(dataDir, 'deliveries')), [first.delivery.id]);
  t.same(ls(path.join(dataDir, 'staging')), []);
  const supersedeSame = await deliver(store, keyring, { body: hex('1'), supersede: true });
  t.equal(supersedeSame.created, false, 'same bytes with supersede are still idempotent');
});

t.test('a different body for a stored period is KOPPEL_ERR_STORE_CONFLICT and changes nothing', async (t) => {
  const { store, keyring, dataDir } = storeFixture(t);
  store.createDataset(sampleSchema(), 'operator:an');
  const first = await deliver(store, keyring, { body: hex('1') });
  await t.rejects(deliver(store, keyring, { body: hex('2') }), { code: 'KOPPEL_ERR_STORE_CONFLICT' });
  t.same(store.findCurrentDelivery('vdab_jobseekers', '2024Q1'), first.delivery);
  t.same(ls(path.join(dataDir, 'deliveries')), [first.delivery.id]);
  t.same(ls(path.join(dataDir, 'staging')), [], 'the rejected staging directory was discarded');
  const other = await deliver(store, keyring, { body: hex('2'), period: '2024Q2' });
  t.equal(other.created, true, 'another period is not a conflict');
});

t.test('supersede stores version n+1 as current and keeps the old one as superseded', async (t) => {
  const { store, keyring } = storeFixture(t);
  store.createDataset(sampleSchema(), 'operator:an');
  const v1 = await deliver(store, keyring, { body: hex('1'), table: sampleTable(10, 1) });
  const v2 = await deliver(store, keyring, { body: hex('2'), table: sampleTable(12, 2), supersede: true });
  t.equal(v2.created, true);
  t.equal(v2.delivery.version, 2);
  t.equal(v2.delivery.status, 'current');
  const old = store.getDelivery(v1.delivery.id)!;
  t.equal(old.status, 'superseded');
  t.equal(old.superseded_by, v2.delivery.id);
  t.type(old.superseded_at, 'string');
  t.equal(store.findCurrentDelivery('vdab_jobseekers', '2024Q1')?.id, v2.delivery.id);
  t.equal((await store.readDeliveryFile(v1.delivery.id, 'linkage')).numRows, 10, 'the superseded files are kept');
  t.equal((await store.readDeliveryFile(v2.delivery.id, 'linkage')).numRows, 12);
  const v3 = await deliver(store, keyring, { body: hex('1'), supersede: true });
  t.equal(v3.delivery.version, 3, 'going back to earlier bytes is a new version');
  t.same(store.listDeliveries({ dataset: 'vdab_jobseekers' }).map((d) => [d.version, d.status]), [[1, 'superseded'], [2, 'superseded'], [3, 'current']]);
  t.same(store.listDeliveries({ status: 'current' }).map((d) => d.id), [v3.delivery.id]);
});

t.test('an unknown dataset or a bad period is refused and the staging is discarded', async (t) => {
  const { store, keyring, dataDir } = storeFixture(t);
  await t.rejects(deliver(store, keyring, { dataset: 'nope' }), { code: 'KOPPEL_ERR_SCHEMA_UNKNOWN_DATASET' });
  store.createDataset(sampleSchema(), 'operator:an');
  await t.rejects(deliver(store, keyring, { period: '2024Q5' }), { code: 'KOPPEL_ERR_SCHEMA_BAD_PERIOD' });
  t.same(ls(path.join(dataDir, 'staging')), []);
  t.same(ls(path.join(dataDir, 'deliveries')), []);
});

t.test('nothing is visible before commit, and abort removes the staged files (twice is fine)', async (t) => {
  const { store, dataDir } = storeFixture(t);
  store.createDataset(sampleSchema(), 'operator:an');
  const table = sampleTable(20, 3);
  const staging = store.stageDelivery();
  t.equal(path.dirname(staging.dir), path.join(dataDir, 'staging'));
  const sink = staging.linkageWriter(table.schema);
  await sink.write(table.batches[0]);
  t.ok(fs.statSync(path.join(staging.dir, 'linkage.arrow')).size > 0, 'batches reach the file before close (streaming)');
  t.same(ls(path.join(dataDir, 'deliveries')), []);
  t.same(store.listDeliveries(), []);
  staging.abort();
  staging.abort();
  t.notOk(fs.existsSync(staging.dir));
  await t.rejects(sink.write(table.batches[0]), 'the sink refuses writes after abort');
});

t.test('commit refuses a staging whose files are not both written and closed', async (t) => {
  const { store, keyring, dataDir } = storeFixture(t);
  store.createDataset(sampleSchema(), 'operator:an');
  const table = sampleTable(5, 4);
  const meta = { dataset: 'vdab_jobseekers', period: '2024', bodySha256: hex('3'), keyId: keyring.currentId, report: {}, rowsKept: 5, by: 'supplier:vdab', supersede: false };
  const staging = store.stageDelivery();
  const a = staging.linkageWriter(table.schema);
  await a.write(table.batches[0]);
  staging.payloadWriter(table.schema);
  t.throws(() => store.commitDelivery(staging, meta));
  t.same(store.listDeliveries(), []);
  t.same(ls(path.join(dataDir, 'staging')), []);
  t.throws(() => store.commitDelivery(staging, meta), 'a discarded staging cannot be committed later');
});

t.test('a batch whose schema differs from the file schema is rejected', async (t) => {
  const { store } = storeFixture(t);
  const table = sampleTable(5, 5);
  const staging = store.stageDelivery();
  const sink = staging.payloadWriter(table.schema);
  const other = new Table({ label: vectorFromArray(['a', 'b'], new Utf8()) });
  await t.rejects(sink.write(other.batches[0]));
  staging.abort();
});

t.test('a delivery with no batches stores an empty table that keeps its schema', async (t) => {
  const { store, keyring } = storeFixture(t);
  store.createDataset(sampleSchema(), 'operator:an');
  const empty = new Table({ value: makeVector(makeData({ type: new Float64(), length: 0, data: new Float64Array(0) })) });
  const schemaOnly = new Table(empty.schema);
  const { delivery } = await deliver(store, keyring, { table: schemaOnly });
  const payload = await store.readDeliveryFile(delivery.id, 'payload');
  t.equal(payload.numRows, 0);
  t.same(payload.schema.fields.map((f) => f.name), ['value']);
});

t.test('a stored file that was altered, truncated or removed reads as KOPPEL_ERR_STORE_CORRUPT', async (t) => {
  const { store, keyring, dataDir } = storeFixture(t);
  store.createDataset(sampleSchema(), 'operator:an');
  const { delivery } = await deliver(store, keyring, {});
  const file = path.join(dataDir, 'deliveries', delivery.id, 'payload.arrow');
  const original = fs.readFileSync(file);
  const flipped = Buffer.from(original);
  flipped[flipped.length - 20] ^= 1;
  fs.writeFileSync(file, flipped);
  await t.rejects(store.readDeliveryFile(delivery.id, 'payload'), { code: 'KOPPEL_ERR_STORE_CORRUPT' }, 'one bit flipped');
  fs.writeFileSync(file, original.subarray(0, original.length - 8));
  await t.rejects(store.readDeliveryFile(delivery.id, 'payload'), { code: 'KOPPEL_ERR_STORE_CORRUPT' }, 'truncated');
  fs.rmSync(file);
  await t.rejects(store.readDeliveryFile(delivery.id, 'payload'), { code: 'KOPPEL_ERR_STORE_CORRUPT' }, 'removed');
  await t.rejects(store.readDeliveryFile('dlv_00000000000000000000', 'payload'), { code: 'KOPPEL_ERR_STORE_NOT_FOUND' });
});

t.test('a second store on the same data directory sees the same deliveries and conflicts', async (t) => {
  const fx = storeFixture(t);
  fx.store.createDataset(sampleSchema(), 'operator:an');
  const first = await deliver(fx.store, fx.keyring, { body: hex('1') });
  const second = fx.reopen();
  t.same(second.getDelivery(first.delivery.id), first.delivery);
  await t.rejects(deliver(second, fx.keyring, { body: hex('2') }), { code: 'KOPPEL_ERR_STORE_CONFLICT' });
  t.equal((await second.readDeliveryFile(first.delivery.id, 'linkage')).numRows, 10, 'opening did not remove the first store\'s files');
});

t.test('deliveryFileRef hands out a recorded file\'s path and hash; readStoredTable reads it verified', async (t) => {
  const { store, keyring } = storeFixture(t);
  store.createDataset(sampleSchema(), 'operator:an');
  const { delivery } = await deliver(store, keyring, { table: sampleTable(30, 4) });
  const ref = store.deliveryFileRef(delivery.id, 'linkage');
  const recorded = delivery.files.find((f) => f.name === 'linkage.arrow')!;
  t.match(ref, { bytes: recorded.bytes, sha256: recorded.sha256, what: `deliveries/${delivery.id}/linkage.arrow` });
  t.ok(path.isAbsolute(ref.path) && fs.existsSync(ref.path));
  t.equal((await readStoredTable(ref)).numRows, 30);
  t.equal(store.deliveryFileRef(delivery.id, 'payload').what, `deliveries/${delivery.id}/payload.arrow`);
  t.throws(() => store.deliveryFileRef('dlv_00000000000000000000', 'linkage'), { code: 'KOPPEL_ERR_STORE_NOT_FOUND' });
  fs.appendFileSync(ref.path, 'x');
  await t.rejects(readStoredTable(ref), { code: 'KOPPEL_ERR_STORE_CORRUPT' });
});
