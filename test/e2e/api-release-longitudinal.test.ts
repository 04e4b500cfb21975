/**
 * A longitudinal project through the API: its approved releases share pseudonyms, so a
 * researcher joins them; the union stays k-anonymous, suppression stays per person, and a
 * draft checked against an older ledger is not approved.
 */
import t from 'tap';
import { tableFromIPC, type Table } from 'apache-arrow';
import { startTestServer, waitForJob } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema, type Person } from '../fixtures/synthetic.js';
import { ApiError } from '../../src/cli/api-client.js';

/** The load guard answers 503 while the loaded test machine's event loop has not been sampled yet: wait it out. */
const KEYS = ['birth_year', 'sex', 'nis_code'];

const values = (table: Table, name: string): unknown[] => {
  const column = table.getChild(name)!;
  return Array.from({ length: table.numRows }, (_, i) => (column.isValid(i) ? column.get(i) : null));
};

t.test('the combined approved releases of a longitudinal project stay k-anonymous, and suppressed once is suppressed always', async (t) => {
  const server = await startTestServer(t);
  const op = server.client('operator:olivia');
  const op2 = server.client('operator:omar');
  const an = server.client('researcher:an');
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab', 'vdab') });
  const people = makePeople(500, 3);
  // In Q2, every seventh person has moved: another municipality than in Q1.
  const moved: Person[] = people.slice(0, 420).map((p, i) => (i % 7 === 0 ? { ...p, nis: p.nis === '11002' ? '44021' : '11002' } : p));
  const put = async (period: string, csv: string) => (await server.client('supplier:vdab').request<{ id: string }>('PUT', `/v1/datasets/vdab/deliveries/${period}`, { body: csv, headers: { 'content-type': 'text/csv' } })).body.id;
  const q1 = await put('2024Q1', csvFor(people));
  const q2 = await put('2024Q2', csvFor(moved));
  const q3 = await put('2024Q3', csvFor(people.slice(100)));
  const { body: project } = await op.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
      approved: { vdab: [...KEYS, 'loon_cent'] }, key_variables: KEYS, k: 5, longitudinal: true,
      release_metadata: { match_probability: 'omit', period_pattern: 'omit' },
    },
  });
  const build = async (delivery: string) => {
    const { body: job } = await op.request<{ id: string }>('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: [delivery] } });
    await waitForJob(op, job.id);
    return (await op.request<{ id: string; manifest: { disclosure_control: { longitudinal?: Record<string, unknown> } } }>('POST', `/v1/jobs/${job.id}/releases`)).body;
  };
  const first = await build(q1);
  await op2.request('POST', `/v1/releases/${first.id}/approve`);
  const second = await build(q2);
  t.match(second.manifest.disclosure_control.longitudinal, { prior_releases: 1, combined_persons: 500, checked_against: [first.id] }, 'the manifest reports the union check');
  await op2.request('POST', `/v1/releases/${second.id}/approve`);

  const persons = await Promise.all([first.id, second.id].map(async (id) => tableFromIPC(await an.download(`/v1/releases/${id}/files/persons.arrow`))));
  const combined = new Map<string, Set<string>[]>();
  const suppressedInFirst = new Set<string>();
  persons.forEach((table, r) => {
    const columns = KEYS.map((k) => values(table, k));
    values(table, 'pseudonym').forEach((p, i) => {
      const sets = combined.get(p as string) ?? KEYS.map(() => new Set<string>());
      columns.forEach((c, v) => {
        if (c[i] !== null) sets[v].add(String(c[i]));
        if (r === 0 && c[i] === null) suppressedInFirst.add(`${String(p)}/${v}`);
        if (r === 1 && c[i] !== null && suppressedInFirst.has(`${String(p)}/${v}`)) t.fail(`a value null in release 1 is released in release 2 (${KEYS[v]})`);
      });
      combined.set(p as string, sets);
    });
  });
  t.equal(combined.size, 500, 'the releases share pseudonyms');
  const groups = new Map<string, number>();
  for (const sets of combined.values()) {
    const key = JSON.stringify(sets.map((s) => [...s].sort()));
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  t.same([...groups.values()].filter((n) => n < 5), [], 'every combination of the joined releases holds at least k persons');

  // Two drafts built against one ledger: once one is approved, the other is stale.
  const third = await build(q3);
  const fourth = await build(q3);
  await op2.request('POST', `/v1/releases/${third.id}/approve`);
  const err = await op2.request('POST', `/v1/releases/${fourth.id}/approve`).then(() => null, (e: unknown) => e);
  t.ok(err instanceof ApiError && err.status === 409 && err.code === 'KOPPEL_ERR_RELEASE_LEDGER_STALE', 'the stale draft is refused');
  const audit = await op.request<{ entries: { action: string; target: string; detail: { ledger?: { rows: number } } }[] }>('GET', '/v1/audit?limit=1000');
  t.equal(audit.body.entries.find((e) => e.action === 'release.build' && e.target === second.id)?.detail.ledger?.rows, 420 * KEYS.length, 'the ledger rows are audited with the build');
});
