import t from 'tap';
import { startTestServer, waitForJob } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { ApiError } from '../../src/cli/api-client.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => null, (e: unknown) => e);
  return err instanceof ApiError ? `${err.status} ${err.code}` : 'no error';
}

t.test('a job links records without a national number by their encoded names and birth dates', async (t) => {
  const server = await startTestServer(t);
  const op = server.client('operator:olivia');
  const op2 = server.client('operator:omar');
  const an = server.client('researcher:an');
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab_set', 'vdab') });
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('agodi_set', 'agodi') });
  const people = makePeople(300, 21);
  const put = (who: string, dataset: string, csv: string) => server.client(`supplier:${who}`).request<{ id: string }>('PUT', `/v1/datasets/${dataset}/deliveries/2024`, { body: csv, headers: { 'content-type': 'text/csv' } });
  const a = await put('vdab', 'vdab_set', csvFor(people));
  // The second supplier misses the national number of every tenth person.
  const b = await put('agodi', 'agodi_set', csvFor(people.slice(0, 200), { spell: (insz, i) => (i % 10 === 0 ? '' : insz) }));
  const { body: project } = await op.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'T', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
      approved: { vdab_set: ['loon_cent'], agodi_set: ['loon_cent'] }, key_variables: [], k: 2,
      release_metadata: { link_method: 'key', match_probability: 'omit' },
    },
  });

  t.equal(await codeOf(op.request('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: [a.body.id], fields: [{ name: 'x', type: 'colour' }] } })), '400 KOPPEL_ERR_API_BAD_REQUEST', 'an unknown field type is refused');
  t.equal(await codeOf(op.request('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: [a.body.id, b.body.id], fields: [{ name: 'given', type: 'given_name' }], columns: { vdab_set: { given: 'nope' } } } })), '400 KOPPEL_ERR_LINK_BAD_JOB', 'a column mapping to a column the dataset lacks is refused');
  // The checks a koppel link job file gets, from the same module (job-schema.ts).
  const jobs = `/v1/projects/${project.id}/jobs`;
  const given = [{ name: 'given', type: 'given_name' }];
  t.equal(await codeOf(op.request('POST', jobs, { json: { deliveries: [a.body.id, b.body.id], fields: [...given, ...given] } })), '400 KOPPEL_ERR_LINK_BAD_JOB', 'a field defined twice is refused');
  t.equal(await codeOf(op.request('POST', jobs, { json: { deliveries: [a.body.id, b.body.id], fields: given, blocking: [['surname']] } })), '400 KOPPEL_ERR_LINK_BAD_JOB', 'a blocking rule naming a field the job does not define is refused');
  t.equal(await codeOf(op.request('POST', jobs, { json: { deliveries: [a.body.id, b.body.id], fields: given, blocking: [['given.soundex']] } })), '400 KOPPEL_ERR_LINK_BAD_JOB', 'a blocking rule naming a part the field has not is refused');
  t.equal(await codeOf(op.request('POST', jobs, { json: { deliveries: [a.body.id, b.body.id], blocking: [] } })), '400 KOPPEL_ERR_API_BAD_REQUEST', 'an empty blocking list is refused by the schema');
  t.equal(await codeOf(op.request('POST', jobs, { json: { deliveries: [a.body.id, b.body.id], threshold: 1 } })), '400 KOPPEL_ERR_API_BAD_REQUEST', 'a threshold of 1 is refused by the schema');

  const { body: queued } = await op.request<{ id: string }>('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: [a.body.id, b.body.id] } });
  const job = await waitForJob(op, queued.id) as { status: string; report: { persons: number; linkage: { settings: { fields: { type: string }[] } } } };
  t.equal(job.status, 'succeeded');
  t.same(job.report.linkage.settings.fields.map((f) => f.type), ['national_id', 'given_name', 'surname', 'date'], 'the default fields are those both datasets carry');
  t.equal(job.report.persons, 300, 'the 20 records without a number join their persons: 300 persons, not 320');

  const { body: draft } = await op.request<{ id: string }>('POST', `/v1/jobs/${queued.id}/releases`);
  await op2.request('POST', `/v1/releases/${draft.id}/approve`);
  const rows = (file: Uint8Array) => Buffer.from(file).toString('utf8').trim().split('\r\n');
  const csv = rows(await an.download(`/v1/releases/${draft.id}/files/persons.csv`));
  const header = csv[0].split(',');
  const methods = csv.slice(1).map((l) => l.split(',')[header.indexOf('link_method')]);
  t.equal(methods.filter((m) => m === 'probabilistic').length, 20, 'the persons file says who was linked probabilistically, as the project asked');
  t.equal(methods.filter((m) => m === 'deterministic').length, 180);
  t.equal(methods.filter((m) => m === 'unlinked').length, 100);
  const agodi = rows(await an.download(`/v1/releases/${draft.id}/files/agodi_set.csv`));
  t.same(agodi[0].split(','), ['pseudonym', 'period', 'loon_cent'], 'no linkage metadata per row');
});
