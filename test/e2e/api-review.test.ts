import t from 'tap';
import { startTestServer, waitForJob, type TestServer } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { ApiError, type ApiClient } from '../../src/cli/api-client.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => null, (e: unknown) => e);
  return err instanceof ApiError ? `${err.status} ${err.code}` : 'no error';
}

interface Ref { delivery: string; row: number }
interface Pair { pair: number; state: string; left: Ref; right: Ref; provisional: string; match_weight: number; fields: { name: string; level: string; weight: number }[] }
interface Queue { total: number; pairs: Pair[] }

/** The person id of each (delivery, row) in a job's clusters.arrow. */
async function personsOf(server: TestServer, jobId: string): Promise<(ref: Ref) => number> {
  const table = await server.runtime.store.readJobFile(jobId, 'clusters');
  const map = new Map<string, number>();
  for (let i = 0; i < table.numRows; i++) map.set(`${String(table.getChild('delivery')!.get(i))}:${Number(table.getChild('row')!.get(i))}`, Number(table.getChild('person_id')!.get(i)));
  return (ref) => map.get(`${ref.delivery}:${ref.row}`)!;
}

async function allPairs(client: ApiClient, jobId: string, state = 'all'): Promise<Pair[]> {
  const { body } = await client.request<Queue>('GET', `/v1/jobs/${jobId}/review?state=${state}&limit=500`);
  return body.pairs;
}

const samePair = (a: Pair, b: Pair) => a.left.delivery === b.left.delivery && a.left.row === b.left.row && a.right.delivery === b.right.delivery && a.right.row === b.right.row;

t.test('uncertain pairs go to a review queue; decisions change the persons, are audited, and hold in the next run', async (t) => {
  const server = await startTestServer(t);
  const op = server.client('operator:olivia');
  const rita = server.client('reviewer:rita');
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab_set', 'vdab') });
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('agodi_set', 'agodi') });
  const people = makePeople(120, 5);
  const put = (who: string, dataset: string, csv: string) => server.client(`supplier:${who}`).request<{ id: string }>('PUT', `/v1/datasets/${dataset}/deliveries/2024`, { body: csv, headers: { 'content-type': 'text/csv' } });
  const a = await put('vdab', 'vdab_set', csvFor(people));
  // A quarter of the second supplier's records come without a national number: linked by name and birth date.
  const b = await put('agodi', 'agodi_set', csvFor(people.slice(0, 80), { spell: (insz, i) => (i % 4 === 0 ? '' : insz) }));
  const { body: project } = await op.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
      approved: { vdab_set: ['birth_year', 'loon_cent'], agodi_set: ['loon_cent'] }, key_variables: ['birth_year'], k: 2,
      generalise: { birth_year: { band: 10 } },
    },
  });
  const jobs = `/v1/projects/${project.id}/jobs`;
  const body = { deliveries: [a.body.id, b.body.id], review: { lower: -12, upper: 80 } };
  t.equal(await codeOf(op.request('POST', jobs, { json: { ...body, review: { lower: 3, upper: 1 } } })), '400 KOPPEL_ERR_LINK_BAD_JOB', 'a band whose lower end exceeds its upper end is refused');
  t.equal(await codeOf(op.request('POST', jobs, { json: { ...body, review: { lower: 1 } } })), '400 KOPPEL_ERR_API_BAD_REQUEST', 'a band without its upper end is refused by the schema');
  const { body: queued } = await op.request<{ id: string }>('POST', jobs, { json: body });
  const job = await waitForJob(op, queued.id) as { status: string; error: unknown; report: { review: { pairs: number; band: { lower: number; upper: number } } } };
  t.equal(job.status, 'succeeded', `the job succeeds ${JSON.stringify(job.error)}`);
  t.ok(job.report.review.pairs > 0, `the queue holds the band's pairs (${job.report.review.pairs})`);
  t.same([job.report.review.band.lower, job.report.review.band.upper], [-12, 80], 'the operator\'s band is used');

  const open = await rita.request<Queue>('GET', `/v1/jobs/${queued.id}/review`);
  t.equal(open.body.total, job.report.review.pairs, 'every pair starts open');
  const pairs = await allPairs(rita, queued.id);
  t.ok(pairs.every((p) => p.match_weight >= -12 && p.match_weight <= 80), 'every queued pair lies in the band');
  t.ok(pairs.every((p) => p.fields.map((f) => f.name).join() === 'national_id,given_name,surname,date'), 'each pair shows every field');
  t.ok(pairs.some((p) => p.fields.some((f) => f.level === 'null')) && pairs.some((p) => p.fields.some((f) => f.level === 'exact')), 'levels are named (exact, null, ...)');
  const linked = pairs.find((p) => p.provisional === 'linked')!;
  const unlinked = pairs.find((p) => p.provisional === 'not linked' && p.left.delivery !== p.right.delivery)!;
  t.ok(linked !== undefined && unlinked !== undefined, 'the queue holds pairs the threshold linked and pairs it did not');

  // Roles and bad requests.
  for (const who of ['supplier:vdab', 'researcher:an']) {
    const c = server.client(who);
    t.equal(await codeOf(c.request('GET', `/v1/jobs/${queued.id}/review`)), '403 KOPPEL_ERR_AUTH_FORBIDDEN', `${who.split(':')[0]} may not read the queue`);
    t.equal(await codeOf(c.request('POST', `/v1/jobs/${queued.id}/review/${linked.pair}`, { json: { decision: 'match' } })), '403 KOPPEL_ERR_AUTH_FORBIDDEN', `${who.split(':')[0]} may not decide`);
  }
  t.equal(await codeOf(rita.request('GET', `/v1/jobs/${queued.id}`)), '403 KOPPEL_ERR_AUTH_FORBIDDEN', 'a reviewer reads no job report');
  t.equal(await codeOf(rita.request('POST', `/v1/jobs/${queued.id}/review/${linked.pair}`, { json: { decision: 'maybe' } })), '400 KOPPEL_ERR_API_BAD_REQUEST', 'an unknown decision is refused');
  t.equal(await codeOf(rita.request('POST', `/v1/jobs/${queued.id}/review/${linked.pair}`, { json: {} })), '400 KOPPEL_ERR_API_BAD_REQUEST', 'a missing decision is refused');
  t.equal(await codeOf(rita.request('POST', `/v1/jobs/${queued.id}/review/${pairs.length + 5}`, { json: { decision: 'match' } })), '404 KOPPEL_ERR_LINK_UNKNOWN_PAIR', 'a pair the queue lacks is 404');
  t.equal(await codeOf(rita.request('GET', `/v1/jobs/${queued.id}/review?state=later`)), '400 KOPPEL_ERR_API_BAD_REQUEST', 'an unknown state is refused');

  const { body: detail } = await rita.request<Pair & { records: { left: { dataset: string; attributes: Record<string, unknown> } } }>('GET', `/v1/jobs/${queued.id}/review/${linked.pair}`);
  t.equal(detail.records.left.dataset, 'vdab_set');
  t.same(Object.keys(detail.records.left.attributes).sort(), ['birth_year', 'loon_cent'], 'the reviewer sees the project\'s released attributes only');
  t.match(String(detail.records.left.attributes.birth_year), /^\d{4}-\d{4}$/, 'the key variable recoded as the release recodes it (10-year band)');

  const before = await personsOf(server, queued.id);
  t.equal(before(linked.left), before(linked.right), 'the linked pair shares a person');
  t.not(before(unlinked.left), before(unlinked.right), 'the unlinked pair does not');
  const split = await rita.request<{ state: string; persons: { split: number; merged: number } }>('POST', `/v1/jobs/${queued.id}/review/${linked.pair}`, { json: { decision: 'non-match' } });
  t.equal(split.body.state, 'non-match');
  t.equal(split.body.persons.split, 1, 'a non-match splits the person');
  const merge = await op.request<{ persons: { merged: number } }>('POST', `/v1/jobs/${queued.id}/review/${unlinked.pair}`, { json: { decision: 'match' } });
  t.equal(merge.body.persons.merged, 1, 'a match merges two persons (an operator may review too)');
  const unsure = pairs.find((p) => p.pair !== linked.pair && p.pair !== unlinked.pair)!;
  await rita.request('POST', `/v1/jobs/${queued.id}/review/${unsure.pair}`, { json: { decision: 'unsure' } });
  const after = await personsOf(server, queued.id);
  t.not(after(linked.left), after(linked.right), 'the non-match pair is apart');
  t.equal(after(unlinked.left), after(unlinked.right), 'the match pair is one person');

  const decided = await allPairs(rita, queued.id, 'decided');
  t.equal(decided.length, 3);
  t.equal((await rita.request<Queue>('GET', `/v1/jobs/${queued.id}/review?state=open`)).body.total, pairs.length - 3, 'decided pairs leave the open queue');
  const { body: audit } = await op.request<{ entries: { actor: string; action: string; detail: { pair?: number; decision?: string } }[] }>('GET', '/v1/audit?limit=1000');
  const decisions = audit.entries.filter((e) => e.action === 'review.decide');
  t.same(decisions.map((e) => [e.actor, e.detail.pair, e.detail.decision]), [['reviewer:rita', linked.pair, 'non-match'], ['operator:olivia', unlinked.pair, 'match'], ['reviewer:rita', unsure.pair, 'unsure']], 'each decision is audited with its reviewer');
  const changes = server.runtime.store.personChanges.list({ run: queued.id });
  t.same(changes.filter((c) => c.by === 'reviewer:rita').map((c) => c.kind), ['split'], 'the non-match\'s split is in the person change log, with the reviewer');
  t.equal(changes[0].personsBefore[0], before(linked.left), 'the split names the person it split');
  // A match may also take a record from the person it was linked to (a unique source's record joins one person only): a split too.
  const merged = changes.filter((c) => c.by === 'operator:olivia' && c.kind === 'merge');
  t.same(merged.map((c) => c.personsBefore), [[before(unlinked.left), before(unlinked.right)].sort((x, y) => x - y)], 'the match\'s merge names the two persons it merged');
  t.match(changes[0].evidence, /review decision on job job_\w+ pair \d+: non-match/, 'the evidence is the decision');
  // The release of the job counts the decisions' merges and splits in its manifest (the project's first release: since none).
  const { body: draft } = await op.request<{ manifest: { person_changes: { since_release: string | null; merges: number; splits: number } } }>('POST', `/v1/jobs/${queued.id}/releases`);
  t.same(draft.manifest.person_changes, {
    since_release: null, merges: changes.filter((c) => c.kind === 'merge').length, splits: changes.filter((c) => c.kind === 'split').length,
  }, 'the release manifest counts the merges and splits the review decisions made');
  t.ok(draft.manifest.person_changes.merges >= 1 && draft.manifest.person_changes.splits >= 1, 'a merge and a split are counted');
  const { body: reported } = await op.request<{ report: { review: { decided: Record<string, number>; estimate_from_review: { precision: number | null; linked_pairs: { reviewed: number } }; estimate_of_model: { precision: number } } } }>('GET', `/v1/jobs/${queued.id}`);
  t.same(reported.report.review.decided, { match: 1, 'non-match': 1, unsure: 1 });
  t.equal(reported.report.review.estimate_from_review.linked_pairs.reviewed, 1, 'the sample size is reported');
  t.ok(reported.report.review.estimate_of_model.precision > 0, 'beside the model\'s own estimate');

  // The next run over the same deliveries keeps both decisions and does not ask again.
  const { body: rerun } = await op.request<{ id: string }>('POST', jobs, { json: body });
  t.equal((await waitForJob(op, rerun.id)).status, 'succeeded');
  const next = await personsOf(server, rerun.id);
  t.not(next(linked.left), next(linked.right), 'a decided non-match stays apart in the next run');
  t.equal(next(unlinked.left), next(unlinked.right), 'a decided match is linked in the next run');
  const again = await allPairs(rita, rerun.id);
  t.notOk(again.some((p) => samePair(p, linked) || samePair(p, unlinked)), 'decided pairs are not asked again');
  t.ok(again.some((p) => samePair(p, unsure)), 'an unsure pair is asked again');

  // A job on the national number alone has no uncertain pairs, hence no queue.
  const { body: detOnly } = await op.request<{ id: string }>('POST', jobs, { json: { deliveries: body.deliveries, fields: [{ name: 'insz', type: 'national_id' }] } });
  t.equal((await waitForJob(op, detOnly.id)).status, 'succeeded');
  t.equal(await codeOf(rita.request('GET', `/v1/jobs/${detOnly.id}/review`)), '404 KOPPEL_ERR_LINK_NO_REVIEW', 'a job without a probabilistic pass has no queue');
  t.equal(await codeOf(rita.request('GET', '/v1/jobs/job_00000000000000000000/review')), '404 KOPPEL_ERR_STORE_NOT_FOUND', 'an unknown job is 404');
});
