/**
 * Recurrent products through the HTTP API (issue 13's Done-when): a product registered once runs
 * by itself when its last delivery arrives and leaves a release draft built by system:koppel;
 * the operator who registered or last changed it cannot approve that draft, another can;
 * concurrent commits give one run. Failed runs and their retries: api-product-retries.test.ts.
 */
import t from 'tap';
import { productRunsSettled } from '../../src/pipeline/product-runs.js';
import { csvFor, testDatasetSchema } from '../fixtures/synthetic.js';
import { PEOPLE, productBody, refusal, rszMonths, setUpProducts as setUp, type Product } from '../fixtures/products.js';

t.test('a product registered once runs by itself when its last delivery arrives, leaves a draft, and four eyes hold', async (t) => {
  const { server, o1, vdab, rsz, project, upload, runs } = await setUp(t);
  const { status, body: product } = await o1.request<Product>('POST', `/v1/projects/${project}/products`, { json: productBody });
  t.equal(status, 201);
  t.match(product, { version: 1, created_by: 'operator:o1', updated_by: 'operator:o1', from: '2024Q1' });

  await upload(vdab, 'vdab_set', '2024Q1', csvFor(PEOPLE));
  for (const month of rszMonths.slice(0, 2)) await upload(rsz, 'rsz_set', month, csvFor(PEOPLE.slice(0, 40)));
  await productRunsSettled();
  t.same(await runs(product.id), [], 'nothing runs while a month of the quarter is missing');

  await upload(rsz, 'rsz_set', '2024-03', csvFor(PEOPLE.slice(0, 40)));
  await productRunsSettled();
  const [run, ...more] = await runs(product.id);
  t.same(more, [], 'one run for the period');
  t.match(run, { period: '2024Q1', attempt: 1, status: 'succeeded', error: null });
  t.equal(run.deliveries.length, 4, 'it ran on the quarter\'s vdab delivery and rsz\'s three months');

  const { body: job } = await o1.request<{ status: string; created_by: string }>('GET', `/v1/jobs/${run.job_id}`);
  t.match(job, { status: 'succeeded', created_by: 'system:koppel' }, 'Koppel ran the job itself');
  const { body: draft } = await o1.request<{ status: string; created_by: string; job_id: string }>('GET', `/v1/releases/${run.release_id}`);
  t.match(draft, { status: 'draft', created_by: 'system:koppel', job_id: run.job_id }, 'and left a release draft');

  // A repeat of the last upload (the same bytes) starts nothing new.
  await upload(rsz, 'rsz_set', '2024-03', csvFor(PEOPLE.slice(0, 40)));
  await productRunsSettled();
  t.equal((await runs(product.id)).length, 1, 'a repeated upload starts no second run');

  const refused = await refusal(o1.request('POST', `/v1/releases/${run.release_id}/approve`));
  t.match(refused, { status: 403, code: 'KOPPEL_ERR_AUTH_FOUR_EYES' }, 'the registering operator cannot approve');
  t.match(refused.message, /operator:o1 registered product prd_[0-9a-f]+/, 'and is told why');
  const { body: approved } = await server.client('operator:o2').request<{ status: string; approved_by: string }>('POST', `/v1/releases/${run.release_id}/approve`);
  t.match(approved, { status: 'approved', approved_by: 'operator:o2' }, 'a second operator can');

  const { body: { entries: audit } } = await o1.request<{ entries: { actor: string; action: string; outcome: string }[] }>('GET', '/v1/audit?limit=1000');
  const system = audit.filter((e) => e.actor === 'system:koppel').map((e) => `${e.action} ${e.outcome}`);
  t.same(system, ['product.run.start ok', 'job.start ok', 'job.finish ok', 'release.build ok', 'product.run.finish ok'], 'every step is audited as system:koppel');
  t.ok(audit.some((e) => e.actor === 'operator:o1' && e.action === 'product.register'), 'the registration is audited');
});

t.test('whoever last changed a product cannot approve what it builds; nor can an earlier changer after a later change', async (t) => {
  const { server, o1, vdab, rsz, project, upload, runs } = await setUp(t);
  const o2 = server.client('operator:o2');
  const { body: product } = await o1.request<Product>('POST', `/v1/projects/${project}/products`, { json: productBody });
  const { body: changed } = await o2.request<Product>('PATCH', `/v1/products/${product.id}`, { json: { job: { threshold: 0.95 } } });
  t.match(changed, { version: 2, created_by: 'operator:o1', updated_by: 'operator:o2', job: { threshold: 0.95 }, datasets: productBody.datasets });

  await Promise.all([upload(vdab, 'vdab_set', '2024Q1', csvFor(PEOPLE)), ...rszMonths.map((m) => upload(rsz, 'rsz_set', m, csvFor(PEOPLE.slice(0, 40))))]);
  await productRunsSettled();
  const all = await runs(product.id);
  t.equal(all.length, 1, 'deliveries committed concurrently give one run');
  const [run] = all;
  t.equal(run.status, 'succeeded');
  const { body: jobSettings } = await o1.request<{ settings: { threshold: number } }>('GET', `/v1/jobs/${run.job_id}`);
  t.equal(jobSettings.settings.threshold, 0.95, 'the run used the changed settings');

  const byChanger = await refusal(o2.request('POST', `/v1/releases/${run.release_id}/approve`));
  t.match(byChanger, { status: 403, code: 'KOPPEL_ERR_AUTH_FOUR_EYES' });
  t.match(byChanger.message, /operator:o2 last changed product/, 'the changer cannot approve, and is told why');
  t.match(await refusal(o1.request('POST', `/v1/releases/${run.release_id}/approve`)), { code: 'KOPPEL_ERR_AUTH_FOUR_EYES' }, 'nor the registrant');

  // A third operator changes it after the run: o2 chose the settings the draft was built with, still refused.
  const o3 = server.client('operator:o3');
  await o3.request('PUT', `/v1/products/${product.id}`, { json: { ...productBody, name: 'Paths into work (renamed)' } });
  t.match(await refusal(o2.request('POST', `/v1/releases/${run.release_id}/approve`)), { code: 'KOPPEL_ERR_AUTH_FOUR_EYES' }, 'a later change by someone else does not clear the earlier changer');
  t.match(await refusal(o3.request('POST', `/v1/releases/${run.release_id}/approve`)), { code: 'KOPPEL_ERR_AUTH_FOUR_EYES' }, 'nor may the latest changer approve');
  const { body: approved } = await server.client('operator:o4').request<{ status: string }>('POST', `/v1/releases/${run.release_id}/approve`);
  t.equal(approved.status, 'approved', 'an operator who neither registered nor changed it approves');
  const { body: after } = await o1.request<Product>('GET', `/v1/products/${product.id}`);
  t.match(after, { version: 3, updated_by: 'operator:o3', from: '2024Q1' }, 'PUT kept from, which it did not name');
  t.equal((await runs(product.id)).length, 1, 'a change does not run a succeeded period again');
});

t.test('product settings are checked; only operators reach the routes', async (t) => {
  const { server, o1, project } = await setUp(t);
  const bad = (json: unknown) => refusal(o1.request('POST', `/v1/projects/${project}/products`, { json }));
  t.match(await bad({ ...productBody, datasets: ['nope_set'] }), { status: 400, code: 'KOPPEL_ERR_SCHEMA_BAD_PRODUCT', message: /dataset nope_set is not registered/ });
  t.match(await bad({ ...productBody, schedule: 'monthly' }), { status: 400, code: 'KOPPEL_ERR_SCHEMA_BAD_PRODUCT', message: /vdab_set is delivered quarterly, less often than the product's monthly periods/ });
  t.match(await bad({ ...productBody, from: '2024-01' }), { status: 400, code: 'KOPPEL_ERR_SCHEMA_BAD_PRODUCT', message: /from must be a quarterly period/ });
  t.match(await bad({ ...productBody, job: { fields: [{ name: 'surname', type: 'surname' }], blocking: [['given_name']] } }),
    { status: 400, code: 'KOPPEL_ERR_SCHEMA_BAD_PRODUCT', message: /blocking\[0\] names field given_name/ });
  t.match(await bad({ ...productBody, job: { unique: { other_set: true } } }), { status: 400, code: 'KOPPEL_ERR_SCHEMA_BAD_PRODUCT', message: /job.unique names dataset other_set/ });
  t.match(await bad({ ...productBody, schedule: 'weekly' }), { status: 400, code: 'KOPPEL_ERR_API_BAD_REQUEST' });
  t.match(await bad({ name: 'x', schedule: 'quarterly' }), { status: 400, code: 'KOPPEL_ERR_API_BAD_REQUEST' });
  await o1.request('POST', '/v1/datasets', { json: { ...testDatasetSchema('adhoc_set', 'vdab'), schedule: 'adhoc' } });
  t.match(await bad({ ...productBody, datasets: ['adhoc_set'] }), { status: 400, code: 'KOPPEL_ERR_SCHEMA_BAD_PRODUCT', message: /dataset adhoc_set is not approved for project/ });
  t.match(await refusal(o1.request('POST', `/v1/projects/prj_${'0'.repeat(20)}/products`, { json: productBody })), { status: 404, code: 'KOPPEL_ERR_STORE_NOT_FOUND' });

  const { body: product } = await o1.request<Product>('POST', `/v1/projects/${project}/products`, { json: productBody });
  t.match(await refusal(o1.request('PATCH', `/v1/products/${product.id}`, { json: {} })), { status: 400, code: 'KOPPEL_ERR_API_BAD_REQUEST' }, 'an empty change is refused');
  t.match(await refusal(o1.request('PATCH', `/v1/products/${product.id}`, { json: { schedule: 'yearly' } })),
    { status: 400, code: 'KOPPEL_ERR_SCHEMA_BAD_PRODUCT', message: /from must be a yearly period/ }, 'a change is checked as a whole');
  t.match(await refusal(o1.request('GET', `/v1/products/prd_${'0'.repeat(20)}/runs`)), { status: 404, code: 'KOPPEL_ERR_STORE_NOT_FOUND' });
  const { body: list } = await o1.request<Product[]>('GET', `/v1/projects/${project}/products`);
  t.same(list.map((p) => p.id), [product.id]);
  t.equal((await o1.request<Product>('GET', `/v1/products/${product.id}`)).body.version, 1, 'a refused change changes nothing');

  for (const who of ['supplier:vdab', 'researcher:an']) {
    t.match(await refusal(server.client(who).request('GET', `/v1/products/${product.id}`)), { status: 403, code: 'KOPPEL_ERR_AUTH_FORBIDDEN' }, `${who} may not read products`);
    t.match(await refusal(server.client(who).request('POST', `/v1/projects/${project}/products`, { json: productBody })), { status: 403, code: 'KOPPEL_ERR_AUTH_FORBIDDEN' });
  }
});
