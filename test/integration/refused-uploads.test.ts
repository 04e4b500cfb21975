/**
 * Refused uploads count in a period's timeliness (`rejected`): what is recorded, and what is not
 * a refusal (a client that went away, another supplier's dataset, a bad period).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { openRuntime } from '../../src/pipeline/runtime.js';
import { receiveDelivery } from '../../src/pipeline/deliveries.js';
import { registerDataset } from '../../src/pipeline/registry.js';
import { initKey } from '../../src/store/index.js';
import type { Principal } from '../../src/model.js';
import { testDatasetSchema } from '../fixtures/synthetic.js';

const operator: Principal = { role: 'operator', name: 'olivia', id: 'operator:olivia' };
const vdab: Principal = { role: 'supplier', name: 'vdab', id: 'supplier:vdab' };
const rsz: Principal = { role: 'supplier', name: 'rsz', id: 'supplier:rsz' };

t.test('a refused upload is recorded by dataset, period and code only; an aborted one and one never admitted are not', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koppel-refused-'));
  initKey(path.join(dir, 'keys'));
  const runtime = openRuntime({ dataDir: path.join(dir, 'data'), keysDir: path.join(dir, 'keys'), logLevel: 'silent' }, { env: {} });
  t.teardown(() => { runtime.close(); rmSync(dir, { recursive: true, force: true }); });
  const ctx = runtime.ctx;
  registerDataset(ctx, operator, testDatasetSchema('vdab_set', 'vdab'));
  const upload = (principal: Principal, period: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, dataset = 'vdab_set') => receiveDelivery(ctx, {
    principal, dataset, period, body: Readable.from(body), contentType: 'text/csv', supersede: false,
  });

  // A marked value in a refused body: it must reach no record.
  const marker = '85073003328';
  await t.rejects(upload(vdab, '2024Q1', [Buffer.from(`insz,${marker}\n${marker},x\n`)]), { code: 'KOPPEL_ERR_INGEST_HEADER' });
  await t.rejects(upload(vdab, '2024Q2', (async function* () {
    yield Buffer.from('insz,voornaam,familienaam,geboortedatum,nis_code,loon_cent\n');
    throw new Error('aborted');
  })()), /aborted/);
  await t.rejects(upload(rsz, '2024Q3', [Buffer.from('x\n')]), { code: 'KOPPEL_ERR_SCHEMA_UNKNOWN_DATASET' });
  await t.rejects(upload(vdab, '2024Q9', [Buffer.from('x\n')]), { code: 'KOPPEL_ERR_SCHEMA_BAD_PERIOD' });

  t.same(ctx.store.listRefusedUploads().map((r) => [r.dataset, r.period, r.code, r.by]), [['vdab_set', '2024Q1', 'KOPPEL_ERR_INGEST_HEADER', 'supplier:vdab']]);
  const dbFiles = readdirSync(path.join(dir, 'data')).filter((f) => f.startsWith('koppel.db'));
  t.ok(dbFiles.includes('koppel.db-wal'), 'the write-ahead log is searched too');
  for (const f of dbFiles) t.notOk(readFileSync(path.join(dir, 'data', f)).includes(Buffer.from(marker)), `the marked value is not in ${f}`);
});
