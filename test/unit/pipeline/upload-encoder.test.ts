import t from 'tap';
import { Utf8, vectorFromArray, type Data } from 'apache-arrow';
import type { ColumnSpec } from '../../../src/model.js';
import type { PipelineContext } from '../../../src/pipeline/context.js';
import { LinkageEncoder } from '../../../src/pipeline/linkage-encoding.js';
import { openUploadEncoder } from '../../../src/pipeline/upload-encoder.js';

const columns = [
  { name: 'familienaam', role: 'linkage', type: 'surname' },
  { name: 'geboortedatum', role: 'linkage', type: 'date', format: 'YYYY-MM-DD' },
] as ColumnSpec[];
const key = new Uint8Array(32).fill(3);
const keys = { encode: () => key, nationalId: key };

t.test('the encode worker encodes sliced columns (offsets of their own, the parent\'s bitmap) as the inline encoder does', async (t) => {
  const surnames = vectorFromArray(['Peeters', null, 'Janssens', 'Maes', null, 'Jacobs', 'Mertens'], new Utf8()).data[0];
  const dates = vectorFromArray(['1980-01-02', '1975-12-31', null, '2001-07-15', '1990-03-03', 'not a date', '1966-06-06'], new Utf8()).data[0];
  // Rows 2..6 of each: a slice with a non-zero offset, as a batch cut from a larger one would be.
  const batch = new Map<string, Data<Utf8>>([['familienaam', surnames.slice(2, 5)], ['geboortedatum', dates.slice(2, 5)]]);
  t.equal(batch.get('familienaam')!.offset, 2, 'the column is a slice');
  const ctx = { config: { jobWorkers: 1 } } as unknown as PipelineContext;
  const worker = openUploadEncoder(ctx, columns, keys);
  t.teardown(() => worker.close());
  const qualityWorker = {};
  const qualityInline = {};
  const got = await worker.encodeBatch(batch, qualityWorker);
  const want = await new LinkageEncoder(columns, keys).encodeBatch(batch, qualityInline);
  t.equal(got.length, want.length);
  got.forEach((d, i) => {
    t.same(Buffer.from(d.values as Uint8Array), Buffer.from(want[i].values as Uint8Array), `column ${i}: the same encodings`);
    t.equal(d.nullCount, want[i].nullCount, `column ${i}: the same nulls`);
  });
  t.same(qualityWorker, qualityInline, 'the same null and invalid counts');
});
