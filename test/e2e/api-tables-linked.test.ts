/**
 * Consistency over time and across tables through the API (issue 12): the project's published
 * tables reach the engine, which keeps cells published before published and suppressed before
 * suppressed, and protects the new table together with them. An attacker holding both published
 * tables (test/fixtures/linked-tables.ts, which links them independently of the engine) recomputes
 * no sensitive cell within its protection interval.
 */
import t, { type Test } from 'tap';
import { startTestServer, waitForJob, type TestServer } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema, type Person } from '../fixtures/synthetic.js';
import { jointAudit, type PublishedTable } from '../fixtures/linked-tables.js';
import { loadLpSolver } from '../../src/release/tables/lp-solver.js';
import { PRIMARY } from '../../src/release/tables/primary-suppression.js';
import { treeFromDescription, type DimensionDescription } from '../../src/release/tables/table-dimensions.js';
import type { ApiClient } from '../../src/cli/api-client.js';

const highs = await loadLpSolver();

interface Version { id: string; status: string; manifest: Record<string, any> }

const people = makePeople(800, 11);
const men = people.filter((p) => p.sex === 'M');
const women = people.filter((p) => p.sex === 'F');

/** Persons per municipality and sex, taken from `from` onwards in the men's and women's lists. */
function placed(from: number, counts: Record<string, [number, number]>): string {
  const chosen: Person[] = [];
  let m = from;
  let f = from;
  for (const [nis, [nm, nf]] of Object.entries(counts)) {
    chosen.push(...men.slice(m, m + nm).map((p) => ({ ...p, nis })), ...women.slice(f, f + nf).map((p) => ({ ...p, nis })));
    m += nm;
    f += nf;
  }
  return csvFor(chosen);
}

// Municipality 44021 is small in both quarters; 11004 has few women in the second.
const Q1 = placed(0, { 11002: [15, 15], 11004: [20, 20], 44021: [0, 3], 44019: [25, 22] });
const Q2 = placed(150, { 11002: [14, 16], 11004: [21, 4], 44021: [2, 5], 44019: [24, 23] });

async function setUp(t: Test): Promise<{ server: TestServer; op: ApiClient; op2: ApiClient; project: string; deliveries: string[] }> {
  const server = await startTestServer(t);
  const op = server.client('operator:olivia');
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab', 'vdab') });
  const deliveries: string[] = [];
  for (const [period, csv] of [['2024Q1', Q1], ['2024Q2', Q2]]) {
    const { body } = await server.client('supplier:vdab').request<{ id: string }>('PUT', `/v1/datasets/vdab/deliveries/${period}`, { body: csv, headers: { 'content-type': 'text/csv' } });
    deliveries.push(body.id);
  }
  const { body: project } = await op.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'Linked tables', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
      approved: { vdab: ['sex', 'nis_code', 'birth_year'] }, key_variables: ['sex'], k: 2,
    },
  });
  return { server, op, op2: server.client('operator:omar'), project: project.id, deliveries };
}

async function linkJob(op: ApiClient, project: string, deliveries: string[]): Promise<string> {
  const { body: job } = await op.request<{ id: string }>('POST', `/v1/projects/${project}/jobs`, { json: { deliveries } });
  if ((await waitForJob(op, job.id)).status !== 'succeeded') throw new Error(`job ${job.id} failed`);
  return job.id;
}

/** Build (operator olivia) and approve (operator omar) a version of a registered table. */
async function publish(op: ApiClient, op2: ApiClient, table: string, job: string): Promise<Version> {
  const { body: v } = await op.request<Version>('POST', `/v1/tables/${table}/versions`, { json: { job } });
  await op2.request('POST', `/v1/table-versions/${v.id}/approve`);
  return v;
}

function csvRows(bytes: Uint8Array): Record<string, string>[] {
  const [header, ...lines] = Buffer.from(bytes).toString('utf8').trim().split('\n');
  const names = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
}

/**
 * The attacker's view of everything the project published (the ledger), with the threshold
 * rule's protection levels (T = 10) on every primary cell: each keeps its interval.
 */
function checkLedger(t: Test, server: TestServer, project: string): void {
  const tables: PublishedTable[] = server.runtime.store.tables.published(project).map((p) => {
    const levels = (up: boolean) => Float64Array.from(p.values, (x, c) => (p.status[c] === PRIMARY && x > 0 && x < 10 ? (up ? 10 - x : Math.min(x, 10 - x)) : 0));
    return { dimensions: (p.dimensions as DimensionDescription[]).map(treeFromDescription), values: p.values, status: p.status, upper: levels(true), lower: levels(false) };
  });
  t.equal(tables.length, 2, 'the ledger holds both published tables');
  const joint = jointAudit(highs, tables);
  let primaries = 0;
  let narrow = 0;
  for (let v = 0; v < joint.values.length; v++) {
    if (joint.status[v] !== PRIMARY) continue;
    primaries++;
    const tol = 1e-6 * Math.max(1, joint.values[v]);
    if (joint.audit.max[v] - joint.values[v] < joint.upper[v] - tol || joint.values[v] - joint.audit.min[v] < joint.lower[v] - tol) narrow++;
  }
  t.ok(primaries > 0, 'the pair has sensitive cells');
  t.equal(narrow, 0, `no sensitive cell of the pair is narrower than its protection (${primaries} checked)`);
  t.equal(joint.audit.failed, 0, 'every attacker LP solved');
}

const persons = (name: string, job: string, dimensions: object[]) => ({ name, title: name, source: { job }, dataset: 'vdab', measure: 'persons', dimensions });
const municipality = { variable: 'nis_code', hierarchy: { prefixes: [2] } };

t.test('two consecutive quarters of one table: the next quarter keeps the first one\'s flags and the pair recomputes no sensitive cell', async (t) => {
  const { server, op, op2, project, deliveries } = await setUp(t);
  const first = await linkJob(op, project, deliveries.slice(0, 1));
  const both = await linkJob(op, project, deliveries);
  const { body: spec } = await op.request<{ id: string }>('POST', `/v1/projects/${project}/tables`, {
    json: persons('persons_by_quarter', first, [{ variable: 'period' }, municipality, { variable: 'sex' }]),
  });
  const v1 = await publish(op, op2, spec.id, first);
  t.same(v1.manifest.consistency.linked_tables, 0, 'the first quarter has nothing to agree with');
  const v2 = await publish(op, op2, spec.id, both);
  t.match(v2.manifest.consistency, { earlier_versions: [v1.id], enforced_by_engine: true, linked_tables: 1 }, 'the manifest says the engine enforced the earlier quarter');
  t.ok(v2.manifest.consistency.shared_cells > 0, 'the first quarter\'s cells are shared');
  t.equal(v2.manifest.suppression_audit.narrow, 0);

  const key = (r: Record<string, string>) => `${r.period}|${r.nis_code}|${r.sex}`;
  const before = csvRows(await op.download(`/v1/table-versions/${v1.id}/files/table.csv`)).filter((r) => r.period === '2024Q1');
  const after = new Map(csvRows(await op.download(`/v1/table-versions/${v2.id}/files/table.csv`)).map((r) => [key(r), r]));
  t.ok(before.some((r) => r.flag !== 'published'), 'the first quarter suppressed cells');
  for (const r of before) {
    const now = after.get(key(r));
    t.equal(now?.flag === 'published', r.flag === 'published', `${key(r)}: ${r.flag} before, ${now?.flag} now`);
  }
  checkLedger(t, server, project);
});

t.test('two tables sharing a marginal (persons per municipality): the second keeps the first one\'s flags and the pair recomputes no sensitive cell', async (t) => {
  const { server, op, op2, project, deliveries } = await setUp(t);
  const job = await linkJob(op, project, deliveries.slice(0, 1));
  const { body: bySex } = await op.request<{ id: string }>('POST', `/v1/projects/${project}/tables`, { json: persons('by_sex', job, [municipality, { variable: 'sex' }]) });
  const { body: byAge } = await op.request<{ id: string }>('POST', `/v1/projects/${project}/tables`, {
    json: persons('by_birth_year', job, [municipality, { variable: 'birth_year', band: 20 }]),
  });
  const a = await publish(op, op2, bySex.id, job);
  const b = await publish(op, op2, byAge.id, job);
  t.match(b.manifest.consistency, { earlier_versions: [a.id], enforced_by_engine: true, linked_tables: 1 });

  const marginal = (rows: Record<string, string>[], other: string) => new Map(rows.filter((r) => r[other] === 'Total').map((r) => [r.nis_code, r.flag === 'published']));
  const fromA = marginal(csvRows(await op.download(`/v1/table-versions/${a.id}/files/table.csv`)), 'sex');
  const fromB = marginal(csvRows(await op.download(`/v1/table-versions/${b.id}/files/table.csv`)), 'birth_year');
  t.ok(fromA.size >= 6, 'municipalities, districts and the total');
  t.same(fromB, fromA, 'the shared marginal is published, or suppressed, alike in both tables');
  checkLedger(t, server, project);
});
