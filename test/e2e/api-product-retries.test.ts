/**
 * A recurrent product's failed run through the HTTP API: it records why (code, message, stage,
 * never a value from a delivery) and is tried again when a superseding delivery arrives.
 */
import t from 'tap';
import { productRunsSettled } from '../../src/pipeline/product-runs.js';
import { csvFor, spellings, type Person } from '../fixtures/synthetic.js';
import { PEOPLE, productBody, setUpProducts as setUp, type Product } from '../fixtures/products.js';

/** Wages that give away the key variable sex: the release's disclosure control refuses them. */
const wageBySex = (people: readonly Person[]) => csvFor(people, { wage: (i) => (people[i].sex === 'M' ? 100000 : 200000) });

t.test('a failing run records why, without values, and is tried again when a superseding delivery arrives', async (t) => {
  const { o1, vdab, rsz, project, upload, runs } = await setUp(t);
  const { body: product } = await o1.request<Product>('POST', `/v1/projects/${project}/products`, { json: { ...productBody, datasets: ['vdab_set'] } });
  await upload(vdab, 'vdab_set', '2024Q1', wageBySex(PEOPLE));
  await productRunsSettled();
  const [failed] = await runs(product.id);
  t.match(failed, { attempt: 1, status: 'failed', release_id: null, error: { code: 'KOPPEL_ERR_RELEASE_KEY_VARIABLE_COPY', stage: 'release' } }, 'the run failed at the release, and says so');
  t.ok(failed.job_id, 'its job is named');
  const text = JSON.stringify(await runs(product.id));
  const leaked = PEOPLE.flatMap((p) => [...spellings(p.insz), p.birthDate]).filter((s) => text.includes(s));
  t.same(leaked, [], 'the recorded failure carries no identifier');

  // rsz is not part of this product: its deliveries change nothing.
  await upload(rsz, 'rsz_set', '2024-01', csvFor(PEOPLE));
  await productRunsSettled();
  t.equal((await runs(product.id)).length, 1, 'another dataset\'s delivery retries nothing');

  const { body: fixed } = await upload(vdab, 'vdab_set', '2024Q1', csvFor(PEOPLE), true);
  await productRunsSettled();
  const [, retried, ...more] = await runs(product.id);
  t.same(more, []);
  t.match(retried, { attempt: 2, status: 'succeeded', error: null, deliveries: [fixed.id] }, 'the superseding delivery ran, and built a draft');
});

