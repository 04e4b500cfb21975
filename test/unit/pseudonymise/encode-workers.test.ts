import t from 'tap';
import { Utf8, vectorFromArray, type Data } from 'apache-arrow';
import { encodeNationalIdColumn, nationalIdDigits } from '../../../src/pseudonymise/encode-national-id.js';
import { NationalIdBatches, PseudonymWorkers, sharedBytes } from '../../../src/pseudonymise/encode-workers.js';
import { inszCheckDigits } from '../../../src/ingest/insz.js';
import { seededRandom } from '../../../src/util/seeded-random.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 3);

/** Seeded national numbers, some punctuated, some faulty, some null. */
function column(n: number, seed: number): (string | null)[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const x = rnd();
    if (x < 0.05) return null;
    const body = String(Math.floor(rnd() * 1e9)).padStart(9, '0');
    const v = body + inszCheckDigits(body, false);
    if (x < 0.1) return `${v.slice(0, 10)}${(Number(v[10]) + 1) % 10}`;
    return x < 0.4 ? `${v.slice(0, 2)}.${v.slice(2, 4)}.${v.slice(4, 6)}-${v.slice(6, 9)}.${v.slice(9)}` : v;
  });
}

const chunk = (values: (string | null)[]): Data<Utf8> => vectorFromArray(values, new Utf8()).data[0];

t.test('workers give the pseudonyms of the inline kernel, in slices, with this thread helping', async (t) => {
  const values = column(5000, 1);
  const inline = encodeNationalIdColumn('insz', [chunk(values)], KEY);
  const workers = new PseudonymWorkers(2);
  t.teardown(() => workers.close());
  const d = nationalIdDigits([chunk(values)], sharedBytes);
  const pending = workers.pseudonymise(KEY, d, 7);
  await workers.helpInline(); // takes whatever the two workers have not started
  const got = await pending;
  t.same(Buffer.from(got), Buffer.from(inline.pseudonyms!));
});

t.test('batches pushed as a source is read join into the column encoding', async (t) => {
  const values = column(3000, 2);
  const workers = new PseudonymWorkers(1);
  t.teardown(() => workers.close());
  const batches = new NationalIdBatches(workers, KEY);
  for (let i = 0; i < values.length; i += 700) batches.push(chunk(values.slice(i, i + 700)));
  t.equal(batches.rows, 3000);
  await workers.helpInline();
  const got = await batches.finish('insz');
  const want = encodeNationalIdColumn('insz', [chunk(values)], KEY);
  t.same(Buffer.from(got.pseudonyms!), Buffer.from(want.pseudonyms!));
  t.same(Buffer.from(got.field.tokens.buffer), Buffer.from(want.field.tokens.buffer));
  t.same(Buffer.from(got.field.present), Buffer.from(want.field.present));
  t.same(got.field.quality, want.field.quality);
});

t.test('digits must be in shared memory; a closed pool refuses work and fails what it had', async (t) => {
  const workers = new PseudonymWorkers(1);
  await t.rejects(workers.pseudonymise(KEY, nationalIdDigits([chunk(column(10, 3))])), TypeError);
  const d = nationalIdDigits([chunk(column(200_000, 4))], sharedBytes);
  const failed = t.rejects(workers.pseudonymise(KEY, d, 50), /closed/);
  await workers.close();
  await failed;
  await t.rejects(workers.pseudonymise(KEY, d), /closed/);
});
