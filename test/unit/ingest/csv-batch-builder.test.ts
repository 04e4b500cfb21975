import t from 'tap';
import { Utf8BatchBuilder } from '../../../src/ingest/csv-batch-builder.js';
import { utf8ToStrings } from '../../../src/util/arrow-columns.js';

const bytes = (s: string) => new TextEncoder().encode(s);

function put(b: Utf8BatchBuilder, fields: string[]): void {
  fields.forEach((f, c) => {
    const v = bytes(f);
    b.append(c, v, 0, v.length);
    b.endField(c);
  });
}

t.test('commits records as rows, rolls a rejected one back, hands out full batches', async (t) => {
  const b = new Utf8BatchBuilder(2, 3);
  put(b, ['a', 'x'.repeat(40)]);
  t.equal(b.commit(1), null);
  put(b, ['junk', 'more junk']);
  b.rollback();
  put(b, ['', 'c']);
  t.equal(b.commit(3), null);
  put(b, ['d', 'é']);
  const full = b.commit(4);
  t.ok(full);
  t.same([...full!.rows], [1, 3, 4]);
  t.same(full!.columns.map(utf8ToStrings), [['a', null, 'd'], ['x'.repeat(40), 'c', 'é']]);
  t.equal(full!.columns[0].nullCount, 1);
  t.equal(b.flush(), null, 'nothing left after a full batch');
  put(b, ['e', 'f']);
  b.commit(5);
  const last = b.flush();
  t.same(last!.columns.map(utf8ToStrings), [['e'], ['f']]);
  t.same(full!.columns.map(utf8ToStrings)[1], ['x'.repeat(40), 'c', 'é'], 'a handed-out batch is not touched by later rows');
});

t.test('grows a column buffer past its first size', async (t) => {
  const b = new Utf8BatchBuilder(1, 10);
  const big = 'z'.repeat(5000);
  put(b, [big]);
  b.commit(1);
  t.same(utf8ToStrings(b.flush()!.columns[0]), [big]);
});
