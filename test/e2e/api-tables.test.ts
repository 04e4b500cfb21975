/**
 * Aggregate tables through the API (issue 12), on constructed data whose right answer is known:
 * registration, build, four-eyes approval, researcher downloads, the rules at work (threshold,
 * dominance, p%, secondary suppression), corrections and withdrawal, and open data without a
 * token.
 */
import t, { type Test } from 'tap';
import { startTestServer, waitForJob, type TestServer } from '../fixtures/server.js';
import { csvFor, makePeople, testDatasetSchema } from '../fixtures/synthetic.js';
import { ApiError, type ApiClient } from '../../src/cli/api-client.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => null, (e: unknown) => e);
  return err instanceof ApiError ? `${err.status} ${err.code}` : 'no error';
}

interface Version { id: string; status: string; version: number | null; manifest: Record<string, any>; files: { name: string; sha256: string }[]; withdrawn: unknown }

/**
 * 120 persons in four municipalities of two districts (NIS 11xxx, 44xxx): municipality 44021
 * holds 3 women only, so (44021, F) is the one cell under the threshold of 10. Wages: one man in
 * 11002 earns 100,000,000 cents, everyone else 200,000 + a little.
 */
const PLACES = ['11002', '11004', '44021', '44019'];
function population() {
  const people = makePeople(400, 7);
  const men = people.filter((p) => p.sex === 'M');
  const women = people.filter((p) => p.sex === 'F');
  const chosen = [
    ...men.slice(0, 15).map((p) => ({ ...p, nis: '11002' })), ...women.slice(0, 15).map((p) => ({ ...p, nis: '11002' })),
    ...men.slice(15, 35).map((p) => ({ ...p, nis: '11004' })), ...women.slice(15, 35).map((p) => ({ ...p, nis: '11004' })),
    ...women.slice(35, 38).map((p) => ({ ...p, nis: '44021' })),
    ...men.slice(35, 60).map((p) => ({ ...p, nis: '44019' })), ...women.slice(38, 60).map((p) => ({ ...p, nis: '44019' })),
  ];
  return csvFor(chosen, { wage: (i) => (i === 0 ? 100_000_000 : 200_000 + i) });
}

async function setUp(t: Test): Promise<{ server: TestServer; op: ApiClient; op2: ApiClient; an: ApiClient; project: string; job: string }> {
  const server = await startTestServer(t);
  const op = server.client('operator:olivia');
  const op2 = server.client('operator:omar');
  const an = server.client('researcher:an');
  await op.request('POST', '/v1/datasets', { json: testDatasetSchema('vdab', 'vdab') });
  const { body: d } = await server.client('supplier:vdab').request<{ id: string }>('PUT', '/v1/datasets/vdab/deliveries/2024Q1', { body: population(), headers: { 'content-type': 'text/csv' } });
  const { body: project } = await op.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'Tables', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2099-12-31', researchers: ['researcher:an'],
      approved: { vdab: ['sex', 'nis_code', 'loon_cent', 'birth_year'] }, key_variables: ['sex'], k: 2,
    },
  });
  const { body: job } = await op.request<{ id: string }>('POST', `/v1/projects/${project.id}/jobs`, { json: { deliveries: [d.id] } });
  t.equal((await waitForJob(op, job.id)).status, 'succeeded');
  return { server, op, op2, an, project: project.id, job: job.id };
}

function csvRows(bytes: Uint8Array): Record<string, string>[] {
  const [header, ...lines] = Buffer.from(bytes).toString('utf8').trim().split('\n');
  const names = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
}

/**
 * The SDMX-CSV 2.0 file says what table.csv says, cell for cell: the same values, empty where
 * suppressed, OBS_STATUS O and CONF_STATUS C (primary) or D (secondary) there, A and F elsewhere,
 * totals as `_T`.
 */
async function checkSdmx(t: Test, op: ApiClient, version: string, rows: readonly Record<string, string>[]): Promise<void> {
  const response = await fetch(`${op.baseUrl}/v1/table-versions/${version}/files/table.sdmx.csv`, { headers: { authorization: `Bearer ${op.token}` } });
  t.equal(response.headers.get('content-type'), 'application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8', 'SDMX-CSV has its own media type');
  const sdmx = csvRows(new Uint8Array(await response.arrayBuffer()));
  t.same(Object.keys(sdmx[0]), ['STRUCTURE', 'STRUCTURE_ID', 'ACTION', 'NIS_CODE', 'SEX', 'OBS_VALUE', 'OBS_STATUS', 'CONF_STATUS']);
  t.equal(sdmx.length, rows.length, 'one observation per cell, totals included');
  t.ok(sdmx.every((r) => r.STRUCTURE === 'dataflow' && r.STRUCTURE_ID === 'KOPPEL:PERSONS_BY_MUNICIPALITY(1.0.0)' && r.ACTION === 'I'));
  const status: Record<string, string> = { published: 'A,F', primary: 'O,C', secondary: 'O,D' };
  const code = (label: string) => (label === 'Total' ? '_T' : label);
  t.same(
    sdmx.map((r) => [r.NIS_CODE, r.SEX, r.OBS_VALUE, `${r.OBS_STATUS},${r.CONF_STATUS}`]),
    rows.map((r) => [code(r.nis_code), code(r.sex), r.value, status[r.flag]]),
    'every observation carries the cell\'s value and status',
  );
}

const municipalityBySex = (job: string) => ({
  name: 'persons_by_municipality', title: 'Persons by municipality and sex', source: { job }, dataset: 'vdab', measure: 'persons',
  dimensions: [{ variable: 'nis_code', hierarchy: { prefixes: [2] } }, { variable: 'sex' }],
  open_data: true,
  dcat: { licence: 'CC-BY-4.0', publisher: 'Statistiek Vlaanderen', spatial: 'Flanders', temporal: { start: '2024-01-01', end: '2024-03-31' }, keywords: ['labour'] },
});

t.test('a persons table: the small cell is suppressed, its row and column get a secondary, four-eyes, researcher download, open data', async (t) => {
  const { op, op2, an, project, job, server } = await setUp(t);
  const { status, body: spec } = await op.request<{ id: string }>('POST', `/v1/projects/${project}/tables`, { json: municipalityBySex(job) });
  t.equal(status, 201);
  t.equal(await codeOf(op.request('POST', `/v1/projects/${project}/tables`, { json: municipalityBySex(job) })), '409 KOPPEL_ERR_SCHEMA_TABLE_EXISTS', 'a name is registered once per project');

  const { status: built, body: draft } = await op.request<Version>('POST', `/v1/tables/${spec.id}/versions`);
  t.equal(built, 201);
  t.equal(draft.status, 'draft');
  t.equal(draft.manifest.suppression_audit.narrow, 0, 'the attacker\'s audit finds no sensitive cell narrower than its protection');
  t.same(draft.files.map((f) => f.name).sort(), ['datapackage.json', 'table.csv', 'table.json', 'table.sdmx.csv']);

  const rows = csvRows(await op.download(`/v1/table-versions/${draft.id}/files/table.csv`));
  const cell = (nis: string, sex: string) => rows.find((r) => r.nis_code === nis && r.sex === sex)!;
  t.same(cell('44021', 'F'), { nis_code: '44021', sex: 'F', value: '', flag: 'primary' }, 'the cell of 3 persons is suppressed, its value left empty');
  await checkSdmx(t, op, draft.id, rows);
  t.equal(cell('44021', 'M').value, '0', 'the zero cell is published');
  const inColumn = ['11002', '11004', '44019'].filter((m) => cell(m, 'F').flag === 'secondary');
  t.ok(inColumn.length >= 1, 'another municipality of the column is suppressed as well');
  t.ok(['44', 'Total'].some((m) => cell(m, 'F').flag === 'published'), 'totals stay published');
  t.equal(cell('Total', 'Total').value, '120', 'the grand total counts every person');
  t.equal(cell('11002', 'M').value, '15');

  t.equal(await codeOf(an.download(`/v1/table-versions/${draft.id}/files/table.csv`)), '404 KOPPEL_ERR_RELEASE_TABLE_NOT_FOUND', 'a researcher does not see drafts');
  t.equal(await codeOf(op.request('POST', `/v1/table-versions/${draft.id}/approve`)), '403 KOPPEL_ERR_AUTH_FOUR_EYES', 'the builder may not approve');
  t.equal(await codeOf(server.client('supplier:vdab').request('GET', '/v1/tables')), '403 KOPPEL_ERR_AUTH_FORBIDDEN');
  const { body: approved } = await op2.request<Version>('POST', `/v1/table-versions/${draft.id}/approve`);
  t.same([approved.status, approved.version, approved.manifest.approved_by], ['approved', 1, 'operator:omar']);
  t.equal(await codeOf(op2.request('POST', `/v1/table-versions/${draft.id}/approve`)), '409 KOPPEL_ERR_RELEASE_ALREADY_APPROVED');

  const { body: listed } = await an.request<Version[]>('GET', '/v1/tables');
  t.same(listed.map((v) => v.id), [draft.id], 'the researcher lists the published version');
  const stat = JSON.parse(Buffer.from(await an.download(`/v1/table-versions/${draft.id}/files/table.json`)).toString('utf8'));
  t.equal(stat.version, '2.0');
  t.same(stat.id, ['nis_code', 'sex']);
  t.equal(stat.value.length, stat.size[0] * stat.size[1], 'JSON-stat holds one value per cell');
  t.ok(Object.values(stat.status).includes('p'), 'suppressed cells carry status p');

  // Open data: no token at all.
  const base = `${server.base}/open/tables/${project}/persons_by_municipality`;
  const record = await fetch(base);
  t.equal(record.status, 200);
  const dcat = await record.json() as Record<string, any>;
  t.equal(dcat['dct:license']['@id'], 'https://creativecommons.org/licenses/by/4.0/', 'the DCAT record names its licence');
  t.same([dcat['dct:temporal']['dcat:startDate']['@value'], dcat['dct:temporal']['dcat:endDate']['@value']], ['2024-01-01', '2024-03-31'], 'and its period');
  t.equal(dcat['dcat:distribution'][0]['dcat:downloadURL']['@id'], `${base}/table.csv`);
  const openCsv = await fetch(`${base}/table.csv`);
  t.equal(openCsv.status, 200);
  t.same(csvRows(new Uint8Array(await openCsv.arrayBuffer())), rows, 'the open CSV is the approved table');
  const pkg = await (await fetch(`${base}/datapackage.json`)).json() as Record<string, any>;
  checkDataPackage(t, pkg, rows);
  const openSdmx = await fetch(`${base}/table.sdmx.csv`);
  t.equal(openSdmx.headers.get('content-type'), 'application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8', 'SDMX-CSV is served without a token too');
  t.ok(dcat['dcat:distribution'].some((d: Record<string, any>) => d['dct:format'] === 'SDMX-CSV' && d['dcat:downloadURL']['@id'] === `${base}/table.sdmx.csv`), 'the DCAT record lists it');
  const catalog = await (await fetch(`${server.base}/open/catalog`)).json() as Record<string, any>;
  t.equal(catalog['dcat:dataset'].length, 1, 'the catalogue lists the open table');

  // Withdrawal: 410 for researchers and for open data; the ledger keeps it.
  const { body: gone } = await op.request<Version>('POST', `/v1/table-versions/${draft.id}/withdraw`, { json: { reason: 'published by mistake' } });
  t.ok(gone.withdrawn);
  t.equal(await codeOf(an.download(`/v1/table-versions/${draft.id}/files/table.csv`)), '410 KOPPEL_ERR_RELEASE_WITHDRAWN');
  t.equal((await fetch(`${base}/table.csv`)).status, 410, 'the open URL answers 410 once withdrawn');
  t.equal(server.runtime.store.tables.published(project).length, 1, 'the withdrawn version stays in the ledger');
  const audit = await op.request<{ entries: { action: string }[] }>('GET', '/v1/audit?limit=1000');
  for (const action of ['table.register', 'table.build', 'table.approve', 'table.download', 'table.withdraw']) {
    t.ok(audit.body.entries.some((e) => e.action === action), `${action} is audited`);
  }
});

/** A schema-level check of a Frictionless tabular data package (no validator package is installed). */
function checkDataPackage(t: Test, pkg: Record<string, any>, rows: Record<string, string>[]): void {
  t.match(pkg.name, /^[a-z0-9._-]+$/, 'the package name is lower-case, as the spec requires');
  t.equal(pkg.profile, 'tabular-data-package');
  t.ok(Array.isArray(pkg.licenses) && pkg.licenses[0].name === 'CC-BY-4.0' && typeof pkg.licenses[0].path === 'string');
  t.equal(pkg.resources.length, 1);
  const resource = pkg.resources[0];
  t.match(resource, { name: 'table', path: 'table.csv', format: 'csv', mediatype: 'text/csv', profile: 'tabular-data-resource' });
  const fields = resource.schema.fields as { name: string; type: string; constraints?: { required?: boolean; enum?: string[] } }[];
  t.same(fields.map((f) => f.name), Object.keys(rows[0]), 'the table schema names the CSV columns in order');
  const missing = new Set(resource.schema.missingValues as string[]);
  for (const row of rows) {
    for (const f of fields) {
      const v = row[f.name];
      if (missing.has(v)) { t.notOk(f.constraints?.required, `${f.name} may be missing`); continue; }
      if (f.type === 'number' && !Number.isFinite(Number(v))) t.fail(`${f.name} holds a number`);
      if (f.constraints?.enum !== undefined && !f.constraints.enum.includes(v)) t.fail(`${f.name} holds an allowed value`);
    }
  }
  const key = resource.schema.primaryKey as string[];
  t.equal(new Set(rows.map((r) => key.map((k) => r[k]).join('\u0000'))).size, rows.length, 'the primary key is unique');
}

t.test('a wage sum: one dominant contributor is suppressed under (1,85) and under p% = 10', async (t) => {
  const { op, project, job } = await setUp(t);
  const table = (name: string, policy: object) => ({
    name, title: name, source: { job }, dataset: 'vdab', measure: 'sum', value: 'loon_cent', policy: { min_frequency: 3, ...policy },
    dimensions: [{ variable: 'nis_code' }],
  });
  for (const [name, policy] of [['by_dominance', { dominance: { n: 1, k: 85 }, p_percent: null }], ['by_p_percent', { dominance: null, p_percent: 10 }]] as const) {
    const { body: spec } = await op.request<{ id: string }>('POST', `/v1/projects/${project}/tables`, { json: table(name, policy) });
    const { body: v } = await op.request<Version>('POST', `/v1/tables/${spec.id}/versions`);
    const rows = csvRows(await op.download(`/v1/table-versions/${v.id}/files/table.csv`));
    t.equal(rows.find((r) => r.nis_code === '11002')?.flag, 'primary', `${name}: the municipality with the dominant wage is suppressed`);
    t.ok(rows.some((r) => r.flag === 'secondary'), `${name}: another municipality is suppressed too, so the total does not give it away`);
    t.equal(v.manifest.suppression_audit.narrow, 0);
  }
});

t.test('registration names the field at fault', async (t) => {
  const { op, project, job } = await setUp(t);
  const base = municipalityBySex(job);
  const cases: [string, object, string][] = [
    ['an unapproved variable', { dimensions: [{ variable: 'familienaam' }] }, 'dimensions[0].variable'],
    ['a sum without value', { measure: 'sum' }, 'value'],
    ['a count with a value', { value: 'loon_cent' }, 'value'],
    ['bands of a code', { dimensions: [{ variable: 'sex', band: 5 }] }, 'dimensions[0].band'],
    ['two generalisations', { dimensions: [{ variable: 'nis_code', prefix: 2, groups: { a: 'b' } }] }, 'dimensions[0]'],
    ['a bad hierarchy', { dimensions: [{ variable: 'birth_year', hierarchy: { bands: [5, 7] } }] }, 'dimensions[0].hierarchy'],
    ['another project\'s job', { source: { job: 'job_00000000000000000000' } }, 'source.job'],
    ['a dataset the job lacks', { dataset: 'rsz' }, 'dataset'],
    ['open data without DCAT', { dcat: undefined }, 'dcat'],
    ['a persons table with a unit', { unit: 'nis_code' }, 'unit'],
  ];
  for (const [what, patch, field] of cases) {
    const err = await op.request('POST', `/v1/projects/${project}/tables`, { json: { ...base, ...patch } }).then(() => null, (e: unknown) => e);
    t.ok(err instanceof ApiError && err.status === 400 && err.code === 'KOPPEL_ERR_SCHEMA_TABLE_INVALID' && err.message.startsWith(`400 KOPPEL_ERR_SCHEMA_TABLE_INVALID: ${field}:`), `${what}: 400 naming ${field}`);
  }
  t.equal(await codeOf(op.request('POST', `/v1/projects/${project}/tables`, { json: { ...base, policy: { min_frequency: 0 } } })), '400 KOPPEL_ERR_API_BAD_REQUEST', 'shapes are the schema\'s');
  t.equal(await codeOf(op.request('POST', '/v1/projects/prj_00000000000000000000/tables', { json: base })), '404 KOPPEL_ERR_STORE_NOT_FOUND');
  t.equal(await codeOf(op.request('POST', '/v1/tables/tbl_00000000000000000000/versions')), '404 KOPPEL_ERR_RELEASE_TABLE_NOT_FOUND');
});

t.test('a correction is a new version: the old one is superseded, both stay in the ledger, open data serves the latest', async (t) => {
  const { op, op2, an, project, job, server } = await setUp(t);
  const { body: spec } = await op.request<{ id: string }>('POST', `/v1/projects/${project}/tables`, { json: municipalityBySex(job) });
  const { body: v1 } = await op.request<Version>('POST', `/v1/tables/${spec.id}/versions`);
  await op2.request('POST', `/v1/table-versions/${v1.id}/approve`);
  const { body: v2 } = await op2.request<Version>('POST', `/v1/tables/${spec.id}/versions`, { json: { job } });
  t.same(v2.manifest.consistency.earlier_versions, [v1.id], 'the new build is handed the published version');
  t.equal(await codeOf(op2.request('POST', `/v1/table-versions/${v2.id}/approve`)), '403 KOPPEL_ERR_AUTH_FOUR_EYES');
  const { body: approved } = await op.request<Version>('POST', `/v1/table-versions/${v2.id}/approve`);
  t.same([approved.version, approved.manifest.supersedes], [2, v1.id]);
  const { body: listed } = await an.request<(Version & { superseded_by: string | null })[]>('GET', '/v1/tables');
  t.same(listed.map((v) => [v.id, v.status, v.version, v.superseded_by]), [[v1.id, 'superseded', 1, v2.id], [v2.id, 'approved', 2, null]]);
  t.equal(server.runtime.store.tables.published(project).length, 2, 'both versions are in the ledger');
  const manifest = await (await fetch(`${server.base}/open/tables/${project}/persons_by_municipality/manifest.json`)).json() as { version: number };
  t.equal(manifest.version, 2, 'the stable URL serves the latest version');
  t.equal((await an.download(`/v1/table-versions/${v1.id}/files/table.csv`)).byteLength > 0, true, 'the superseded version can still be read by the project\'s researchers');
  const audit = await op.request<{ entries: { action: string; detail: { supersedes?: string } }[] }>('GET', '/v1/audit?limit=1000');
  t.ok(audit.body.entries.some((e) => e.action === 'table.approve' && e.detail.supersedes === v1.id), 'the correction is audited');
});

t.test('outside the project\'s validity window a researcher neither lists nor downloads its tables', async (t) => {
  const { op, op2, an, job, server } = await setUp(t);
  const { body: old } = await op.request<{ id: string }>('POST', '/v1/projects', {
    json: {
      title: 'Old', purpose: 'P', legal_basis: 'L', valid_from: '2020-01-01', valid_to: '2021-12-31', researchers: ['researcher:an'],
      approved: { vdab: ['sex', 'nis_code'] }, key_variables: ['sex'], k: 2,
    },
  });
  const d = (server.runtime.store.getJob(job)!.settings as { deliveries: string[] }).deliveries;
  const { body: oldJob } = await op.request<{ id: string }>('POST', `/v1/projects/${old.id}/jobs`, { json: { deliveries: d } });
  await waitForJob(op, oldJob.id);
  const { body: spec } = await op.request<{ id: string }>('POST', `/v1/projects/${old.id}/tables`, { json: { ...municipalityBySex(oldJob.id), open_data: false } });
  const { body: v } = await op.request<Version>('POST', `/v1/tables/${spec.id}/versions`);
  await op2.request('POST', `/v1/table-versions/${v.id}/approve`);
  t.same((await an.request<Version[]>('GET', '/v1/tables')).body, [], 'not listed');
  t.equal(await codeOf(an.download(`/v1/table-versions/${v.id}/files/table.csv`)), '403 KOPPEL_ERR_AUTH_OUTSIDE_VALIDITY');
  t.equal((await fetch(`${server.base}/open/tables/${old.id}/persons_by_municipality/table.csv`)).status, 404, 'a table not marked open data is not served without a token');
});

t.test('a table the audit refuses leaves nothing visible but the refusal in the audit trail', async (t) => {
  const { op, project, job, server } = await setUp(t);
  const { body: spec } = await op.request<{ id: string }>('POST', `/v1/projects/${project}/tables`, { json: municipalityBySex(job) });
  // The engine never leaves a narrow cell on its own: stand in for one that did.
  const errors = await import('../../src/errors.js');
  const { buildTable } = await t.mockImport<typeof import('../../src/pipeline/tables.js')>('../../src/pipeline/tables.js', {
    '../../src/errors.ts': errors,
    '../../src/pipeline/table-suppression.ts': {
      EARLIER_ENFORCED: true,
      runSuppression: async () => { throw new errors.KoppelError('KOPPEL_ERR_RELEASE_TABLE_UNSAFE', 'the audit found 1 of 1 sensitive cells narrower than their protection interval', { narrow: 1 }); },
    },
  });
  const principal = { role: 'operator', name: 'olivia', id: 'operator:olivia' } as const;
  await t.rejects(buildTable(server.runtime.ctx, principal, spec.id), { code: 'KOPPEL_ERR_RELEASE_TABLE_UNSAFE' });
  t.same((await op.request<unknown[]>('GET', '/v1/tables')).body, [], 'no version exists');
  const audit = await op.request<{ entries: { action: string; outcome: string; target: string }[] }>('GET', '/v1/audit?limit=1000');
  t.ok(audit.body.entries.some((e) => e.action === 'table.build' && e.outcome === 'refused' && e.target === spec.id), 'the refusal is audited');
});
