import t from 'tap';
import { startTestServer, waitForJob, type TestServer } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema, type Person } from '../fixtures/synthetic.js';
import { ApiError } from '../../src/cli/api-client.js';
import { concatNumbers } from '../../src/util/arrow-columns.js';

/** A record as a supplier sends it: without its national number, or without names and birth date. */
interface Row { readonly p: Person; readonly insz?: boolean; readonly names?: boolean }

function csvOf(rows: readonly Row[]): string {
  const lines = ['insz,voornaam,familienaam,geboortedatum,nis_code,loon_cent'];
  rows.forEach(({ p, insz = true, names = true }, i) => {
    lines.push(`${insz ? p.insz : ''},${names ? p.givenName : ''},"${names ? p.surname : ''}",${names ? p.birthDate : ''},${p.nis},${100000 + i}`);
  });
  return `${lines.join('\n')}\n`;
}

const range = (people: readonly Person[], from: number, to: number): Row[] => people.slice(from, to).map((p) => ({ p }));

interface Job { id: string; status: string; report: { mode: string; mode_reason: string; persons: number; incremental?: Record<string, unknown> }; error: unknown }

/** Person id of each record of a job, as `delivery -> ids in the delivery's row order`. */
async function personsOf(server: TestServer, jobId: string): Promise<Map<string, number[]>> {
  const table = await server.runtime.store.readJobFile(jobId, 'clusters');
  const persons = concatNumbers(table, 'person_id', (n) => new Float64Array(n));
  const deliveries = table.getChild('delivery')!.toArray() as string[];
  const out = new Map<string, number[]>();
  deliveries.forEach((d, i) => { const list = out.get(d) ?? []; list.push(persons[i]); out.set(d, list); });
  return out;
}

/** Records grouped by person, as sorted lists of "delivery:index", for comparing two jobs' partitions. */
function partition(persons: Map<string, number[]>): string[] {
  const groups = new Map<number, string[]>();
  for (const [d, ids] of persons) ids.forEach((id, i) => { const g = groups.get(id) ?? []; g.push(`${d}:${i}`); groups.set(id, g); });
  return [...groups.values()].map((g) => g.sort().join(' ')).sort();
}

t.test('two quarters of three suppliers: the second links incrementally, keeps persons, and logs a merge and a split', async (t) => {
  const server = await startTestServer(t);
  const op = server.client('operator:olivia');
  for (const [name, supplier] of [['vdab_set', 'vdab'], ['rsz_set', 'rsz'], ['agodi_set', 'agodi']]) {
    await op.request('POST', '/v1/datasets', { json: testDatasetSchema(name, supplier) });
  }
  const people = makePeople(240, 31);
  const [x, y] = [people[230], people[231]];
  const put = async (dataset: string, period: string, rows: Row[], supersede = false) => {
    const supplier = dataset.replace('_set', '');
    const { body } = await server.client(`supplier:${supplier}`).request<{ id: string }>('PUT', `/v1/datasets/${dataset}/deliveries/${period}${supersede ? '?supersede=true' : ''}`, { body: csvOf(rows), headers: { 'content-type': 'text/csv' } });
    return body.id;
  };
  // Quarter 1. X and Y are known to vdab by national number only, to rsz by name and birth date
  // only: nothing joins those two records, except Y's agodi record that carries both.
  const v1 = await put('vdab_set', '2024Q1', [...range(people, 0, 200), { p: x, names: false }, { p: y, names: false }]);
  const r1 = await put('rsz_set', '2024Q1', [...range(people, 50, 180), { p: x, insz: false }, { p: y, insz: false }]);
  const a1 = await put('agodi_set', '2024Q1', [...range(people, 100, 220), { p: y }]);
  const { body: project } = await op.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
      approved: { vdab_set: ['loon_cent'], rsz_set: ['loon_cent'], agodi_set: ['loon_cent'] }, key_variables: [], k: 2, longitudinal: true,
    },
  });
  const jobs = `/v1/projects/${project.id}/jobs`;
  const refused = await op.request('POST', jobs, { json: { deliveries: [v1, r1, a1], mode: 'incremental' } }).then(() => null, (e: unknown) => e);
  t.equal(refused instanceof ApiError && refused.code, 'KOPPEL_ERR_LINK_BAD_JOB', 'incremental without a previous job is refused when asked for');
  const run = async (json: object) => waitForJob(op, (await op.request<{ id: string }>('POST', jobs, { json })).body.id) as Promise<Job>;
  const job1 = await run({ deliveries: [v1, r1, a1] });
  t.equal(job1.status, 'succeeded');
  t.equal(job1.report.mode, 'full', 'the first job relinks: there is no spine yet');
  t.match(job1.report.mode_reason, /no previous successful job/);
  const release = async (jobId: string) => {
    const { body: draft } = await op.request<{ id: string; manifest: { person_changes: unknown } }>('POST', `/v1/jobs/${jobId}/releases`);
    await server.client('operator:omar').request('POST', `/v1/releases/${draft.id}/approve`);
    return draft;
  };
  const release1 = await release(job1.id);
  t.same(release1.manifest.person_changes, { since_release: null, merges: 0, splits: 0, pseudonyms: { merged: [], split: [] } });

  // Quarter 2: new deliveries of all three suppliers, and agodi supersedes its quarter-1 delivery
  // without Y's record. X's new agodi record carries both its number and its names.
  const a1b = await put('agodi_set', '2024Q1', range(people, 100, 220), true);
  const v2 = await put('vdab_set', '2024Q2', [...range(people, 0, 150), ...range(people, 220, 230)]);
  const r2 = await put('rsz_set', '2024Q2', range(people, 60, 170));
  const a2 = await put('agodi_set', '2024Q2', [...range(people, 120, 200), { p: x }]);
  const deliveries = [v1, r1, a1b, v2, r2, a2];
  const second = await run({ deliveries });
  t.equal(second.status, 'succeeded', JSON.stringify(second.error));
  t.equal(second.report.mode, 'incremental', 'the default once a job succeeded');
  t.match(second.report.incremental, { new_deliveries: [a1b, v2, r2, a2], removed_deliveries: [a1], merges: 1, splits: 1 });
  const jobIds = lastJobs(server, project.id);
  const persons1 = await personsOf(server, jobIds[0]);
  const persons2 = await personsOf(server, jobIds[1]);

  // Persistent ids: every quarter-1 record keeps its person, and a person's quarter-2 records get it.
  const idOf1 = (p: number) => persons1.get(v1)![p];
  t.same(persons2.get(v1)!.slice(0, 200), persons1.get(v1)!.slice(0, 200), 'vdab quarter-1 records keep their ids');
  t.same(persons2.get(r1)!.slice(0, 130), persons1.get(r1)!.slice(0, 130), 'rsz quarter-1 records keep their ids');
  t.same(persons2.get(v2)!.slice(0, 150), Array.from({ length: 150 }, (_, p) => idOf1(p)), 'vdab quarter-2 records of known people get their ids');
  t.same(persons2.get(r2), Array.from({ length: 110 }, (_, i) => idOf1(60 + i)), 'rsz quarter-2 records too');
  const known = new Set(persons1.get(v1)!.concat(persons1.get(r1)!, persons1.get(a1)!));
  t.ok(persons2.get(v2)!.slice(150).every((id) => !known.has(id)), 'people first seen in quarter 2 are new persons');

  // The merge: X's vdab and rsz persons are one now, under the older id.
  const xv = persons1.get(v1)![200]; const xr = persons1.get(r1)![130];
  t.not(xv, xr, 'quarter 1 did not join X');
  t.equal(persons2.get(v1)![200], Math.min(xv, xr));
  t.equal(persons2.get(r1)![130], Math.min(xv, xr));
  // The split: Y's vdab and rsz records were one person through agodi's record, which went.
  const yId = persons1.get(v1)![201];
  t.equal(persons1.get(r1)![131], yId, 'quarter 1 joined Y through agodi');
  t.not(persons2.get(v1)![201], persons2.get(r1)![131], 'quarter 2 holds Y as two persons');

  const { body: log } = await op.request<{ changes: { kind: string; personsBefore: number[]; personsAfter: number[]; evidence: string; run: string; by: string }[]; next: number | null }>('GET', '/v1/person-changes');
  t.equal(log.changes.length, 2);
  t.equal(log.next, null);
  const merge = log.changes.find((c) => c.kind === 'merge')!;
  t.match(merge, { personsBefore: [Math.min(xv, xr), Math.max(xv, xr)], personsAfter: [Math.min(xv, xr)], run: jobIds[1], by: 'operator:olivia' });
  t.match(merge.evidence, new RegExp(`deterministic link.*probabilistic link weight [0-9.]+ \\(fields: .*\\).*${a2}|probabilistic.*${a2}`));
  const split = log.changes.find((c) => c.kind === 'split')!;
  t.match(split, { personsBefore: [yId], run: jobIds[1] });
  t.same([...split.personsAfter].sort((p, q) => p - q), [persons2.get(v1)![201], persons2.get(r1)![131]].sort((p, q) => p - q));
  t.match(split.evidence, new RegExp(`${a1}.*superseded by ${a1b}`));
  for (const change of log.changes) t.notMatch(change.evidence, new RegExp(`${x.insz}|${y.insz}|${x.surname}|${y.birthDate}`), 'no value from an upload in the evidence');
  t.same((await op.request<{ changes: unknown[] }>('GET', `/v1/person-changes?person=${yId}`)).body.changes.length, 1, 'filtered by person');
  t.same((await op.request<{ changes: unknown[] }>('GET', `/v1/person-changes?run=${jobIds[0]}`)).body.changes, [], 'filtered by run');
  t.same((await op.request<{ changes: unknown[]; next: number }>('GET', '/v1/person-changes?limit=1')).body.changes.length, 1, 'paged');
  const supplierRead = await server.client('supplier:vdab').request('GET', '/v1/person-changes').then(() => null, (e: unknown) => e);
  t.equal(supplierRead instanceof ApiError && supplierRead.status, 403, 'operators only');

  // The release of quarter 2 reports the merge and the split by count and by release pseudonym only.
  const release2 = await release(second.id);
  const hex = /^[0-9a-f]{32}$/;
  t.match(release2.manifest.person_changes, {
    since_release: release1.id, merges: 1, splits: 1,
    pseudonyms: { merged: [{ into: hex, from: [hex] }], split: [{ from: hex, into: [hex, hex] }] },
  });
  t.notMatch(JSON.stringify(release2.manifest), /personsBefore|personsAfter|person_id/, 'no persistent person id in the manifest');

  // A full relink of the same deliveries finds the same persons.
  const full = await run({ deliveries, mode: 'full' });
  t.equal(full.report.mode, 'full');
  const persons3 = await personsOf(server, lastJobs(server, project.id)[2]);
  t.same(partition(persons3), partition(persons2), 'the incremental and the full relink give the same persons');
});

/** The project's jobs, oldest first (from the audit trail: job.start entries). */
function lastJobs(server: TestServer, projectId: string): string[] {
  return server.runtime.store.listAudit({ limit: 1000 }).filter((e) => e.action === 'job.start' && (e.detail as { project?: string } | null)?.project === projectId).map((e) => e.target!);
}

interface Ref { delivery: string; row: number }
interface ReviewPair { pair: number; left: Ref; right: Ref; provisional: string }

t.test('a non-match decided on quarter 1\'s job stays apart in quarter 2\'s incremental job, which queues its own uncertain pairs', async (t) => {
  const server = await startTestServer(t);
  const op = server.client('operator:olivia');
  const rita = server.client('reviewer:rita');
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab_set', 'vdab') });
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('agodi_set', 'agodi') });
  const people = makePeople(120, 5);
  const put = async (who: string, dataset: string, period: string, csv: string) => (await server.client(`supplier:${who}`).request<{ id: string }>('PUT', `/v1/datasets/${dataset}/deliveries/${period}`, { body: csv, headers: { 'content-type': 'text/csv' } })).body.id;
  const v1 = await put('vdab', 'vdab_set', '2024Q1', csvFor(people));
  // A quarter of agodi's records come without a national number: linked by name and birth date.
  const a1 = await put('agodi', 'agodi_set', '2024Q1', csvFor(people.slice(0, 80), { spell: (insz, i) => (i % 4 === 0 ? '' : insz) }));
  const { body: project } = await op.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
      approved: { vdab_set: ['loon_cent'], agodi_set: ['loon_cent'] }, key_variables: [], k: 2,
    },
  });
  const run = async (json: object) => waitForJob(op, (await op.request<{ id: string }>('POST', `/v1/projects/${project.id}/jobs`, { json })).body.id) as Promise<Job & { report: { review: { pairs: number } | null } }>;
  const review = { lower: -12, upper: 80 };
  const job1 = await run({ deliveries: [v1, a1], review });
  t.equal(job1.status, 'succeeded', JSON.stringify(job1.error));
  const { body: queue1 } = await rita.request<{ pairs: ReviewPair[] }>('GET', `/v1/jobs/${job1.id}/review?limit=500`);
  const linked = queue1.pairs.find((p) => p.provisional === 'linked')!;
  t.ok(linked !== undefined, 'quarter 1 linked a pair in the band');
  await rita.request('POST', `/v1/jobs/${job1.id}/review/${linked.pair}`, { json: { decision: 'non-match' } });

  // Quarter 2: vdab sends everyone again, national numbers included, so the decided pair's vdab
  // person gains a record that agodi's record would join by name and birth date.
  const v2 = await put('vdab', 'vdab_set', '2024Q2', csvFor(people));
  const job2 = await run({ deliveries: [v1, a1, v2], review, mode: 'incremental' });
  t.equal(job2.status, 'succeeded', JSON.stringify(job2.error));
  t.equal(job2.report.mode, 'incremental');
  const clusters = await server.runtime.store.readJobFile(job2.id, 'clusters');
  const persons = new Map<string, number>();
  for (let i = 0; i < clusters.numRows; i++) persons.set(`${String(clusters.getChild('delivery')!.get(i))}:${Number(clusters.getChild('row')!.get(i))}`, Number(clusters.getChild('person_id')!.get(i)));
  const personOf = (ref: Ref) => persons.get(`${ref.delivery}:${ref.row}`)!;
  t.ok(personOf(linked.left) !== undefined && personOf(linked.right) !== undefined, 'both records are in the job');
  t.not(personOf(linked.left), personOf(linked.right), 'the decided non-match stays apart, though the previous job linked it');
  const links = await server.runtime.store.readJobFile(job2.id, 'links');
  const carried = Array.from({ length: links.numRows }, (_, i) => [links.getChild('left_delivery')!.get(i), links.getChild('left_row')!.get(i), links.getChild('right_delivery')!.get(i), links.getChild('right_row')!.get(i)].map(String).join(':'));
  const key = [linked.left.delivery, linked.left.row, linked.right.delivery, linked.right.row].map(String).join(':');
  t.notOk(carried.includes(key), 'its link is not carried into the job\'s links');
  t.ok((job2.report.review?.pairs ?? 0) > 0, 'the incremental job queues the uncertain pairs it compared');
  const { body: queue2 } = await rita.request<{ pairs: ReviewPair[] }>('GET', `/v1/jobs/${job2.id}/review?limit=500`);
  t.ok(queue2.pairs.every((p) => p.left.delivery === v2 || p.right.delivery === v2), 'each queued pair holds a new record');
});
