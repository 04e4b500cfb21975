import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { tableFromIPC, type Table } from 'apache-arrow';
import { openRuntime } from '../../src/pipeline/runtime.js';
import { initKey } from '../../src/store/index.js';
import { registerDataset, registerProject } from '../../src/pipeline/registry.js';
import { receiveDelivery } from '../../src/pipeline/deliveries.js';
import { runningJobs, startJob } from '../../src/pipeline/jobs.js';
import { approveRelease, buildRelease } from '../../src/pipeline/releases.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import type { Principal } from '../../src/model.js';

const operator = (name: string): Principal => ({ role: 'operator', name, id: `operator:${name}` });
const supplier = (name: string): Principal => ({ role: 'supplier', name, id: `supplier:${name}` });

function column(table: Table, name: string): unknown[] {
  const c = table.getChild(name);
  if (c === null) throw new Error(`no column ${name}`);
  return c.toArray() as unknown[];
}

t.test('a release from the pipeline on real SQLite: project separation, k on persons, key variables only in persons, hashes in the manifest', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koppel-int-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  initKey(path.join(dir, 'keys'));
  const runtime = openRuntime({ dataDir: path.join(dir, 'data'), keysDir: path.join(dir, 'keys'), logLevel: 'silent' }, { env: {} });
  t.teardown(() => runtime.close());
  const { ctx } = runtime;

  const people = makePeople(400, 3);
  registerDataset(ctx, operator('olivia'), testDatasetSchema('vdab_set', 'vdab'));
  registerDataset(ctx, operator('olivia'), testDatasetSchema('rsz_set', 'rsz'));
  const upload = (dataset: string, who: string, csv: string) => receiveDelivery(ctx, {
    principal: supplier(who), dataset, period: '2024', body: Readable.from([Buffer.from(csv)]), contentType: 'text/csv', supersede: false,
  });
  const a = await upload('vdab_set', 'vdab', csvFor(people));
  const b = await upload('rsz_set', 'rsz', csvFor(people.slice(100, 300)));

  const spec = {
    title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
    approved: { vdab_set: ['birth_year', 'sex', 'nis_code', 'loon_cent'], rsz_set: ['loon_cent'] },
    key_variables: ['birth_year', 'sex', 'nis_code'], k: 4,
  };
  const p1 = registerProject(ctx, operator('olivia'), spec);
  const p2 = registerProject(ctx, operator('olivia'), spec);
  const releases = [];
  for (const p of [p1, p2]) {
    const job = startJob(ctx, operator('olivia'), p.id, { deliveries: [a.delivery.id, b.delivery.id] });
    await Promise.all(runningJobs());
    t.equal(ctx.store.getJob(job.id)?.status, 'succeeded');
    if (p === p2) {
      // The same researcher would hold the same wage rows twice: only with a justification.
      await t.rejects(buildRelease(ctx, operator('olivia'), job.id), { code: 'KOPPEL_ERR_RELEASE_CROSS_EXPOSURE' });
    }
    const draft = await buildRelease(ctx, operator('olivia'), job.id, p === p2 ? { justification: 'replication study approved by the committee' } : {});
    releases.push(approveRelease(ctx, operator('omar'), draft.id));
  }
  const rules = releases[1].manifest.rules as { exposure: { justification: string; shared: { release: string; dataset: string }[] }; pseudonyms: string };
  t.equal(rules.exposure.justification, 'replication study approved by the committee', 'the manifest records the justification');
  t.same(rules.exposure.shared.map((e) => [e.release, e.dataset]), [[releases[0].id, 'vdab_set'], [releases[0].id, 'rsz_set']], 'and what the researcher already held');
  t.equal(rules.pseudonyms, 'per_release');

  const readRelease = async (id: string, name: string): Promise<Table> => (await ctx.store.openReleaseFile(id, name))!.table();
  const persons = await Promise.all(releases.map((r) => readRelease(r.id, 'persons')));
  t.equal(persons[0].numRows, 400, 'one person per distinct national number');
  const first = new Set(column(persons[0], 'pseudonym'));
  const overlap = column(persons[1], 'pseudonym').filter((p) => first.has(p));
  t.equal(overlap.length, 0, 'two projects\' release pseudonyms never coincide');

  const counts = new Map<string, number>();
  const keys = ['birth_year', 'sex', 'nis_code', 'match_probability', 'period_pattern'].map((n) => column(persons[0], n));
  for (let i = 0; i < persons[0].numRows; i++) {
    const key = keys.map((c) => String(c[i])).join('|');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  t.ok([...counts.values()].every((n) => n >= 4), 'every key-variable combination occurs for at least k persons');
  const dc = releases[0].manifest.disclosure_control as { suppressed_values: Record<string, number> };
  t.ok(Object.values(dc.suppressed_values).reduce((x, y) => x + y, 0) > 0, 'this data needed suppression, and it is reported');

  const vdab = await readRelease(releases[0].id, 'vdab_set');
  t.same(vdab.schema.fields.map((f) => f.name), ['pseudonym', 'period', 'loon_cent'], 'source files carry no key variable and no linkage metadata');
  t.same(persons[0].schema.fields.map((f) => f.name), ['pseudonym', 'birth_year', 'sex', 'nis_code', 'match_probability', 'period_pattern'], 'metadata is per person, among the key variables');

  const manifest = releases[0].manifest as { status: string; approved_by: string; audit_head: { seq: number }; files: { name: string; sha256: string; file: string; rows: number }[] };
  t.equal(manifest.status, 'approved');
  t.equal(manifest.approved_by, 'operator:omar');
  t.ok(manifest.audit_head.seq > 0, 'the approved manifest records the audit chain head');
  for (const f of manifest.files) {
    const bytes = readFileSync(path.join(ctx.config.dataDir, 'releases', releases[0].id, f.file));
    t.equal(createHash('sha256').update(bytes).digest('hex'), f.sha256, `${f.name}: the manifest holds the file's sha256`);
    t.equal(tableFromIPC(bytes).numRows, f.rows, `${f.name}: an Arrow IPC file with the rows the manifest lists`);
  }
  t.ok(ctx.store.verifyAudit().ok);
});
