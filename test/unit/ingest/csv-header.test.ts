import t from 'tap';
import { COMMA, SEMICOLON, TAB, readHeaderRecord } from '../../../src/ingest/csv-header.js';

const enc = (s: string) => new TextEncoder().encode(s);
const read = (s: string, atEof = false, delimiter?: number) => {
  const b = enc(s);
  return readHeaderRecord(b, 0, b.length, atEof, delimiter);
};

t.test('picks the delimiter that splits the header into the most fields', async (t) => {
  t.equal(read('a;b;c\n')?.delimiter, SEMICOLON);
  t.equal(read('a\tb,c\tb\n')?.delimiter, TAB);
  t.equal(read('a,b\n')?.delimiter, COMMA);
  t.equal(read('a\n')?.delimiter, COMMA, 'one column falls back to the comma');
});

t.test('prefers a split that keeps quoted names whole', async (t) => {
  const rec = read('"naam, voornaam";"x"\n');
  t.equal(rec?.delimiter, SEMICOLON);
  t.same(rec?.names, ['naam, voornaam', 'x']);
});

t.test('uses a given delimiter as is', async (t) => {
  t.same(read('a;b,c\n', false, COMMA)?.names, ['a;b', 'c']);
});

t.test('waits for more bytes until the record ends, and says where the next one starts', async (t) => {
  t.equal(read('a,b'), null);
  t.equal(read('"a\n'), null, 'a line end inside quotes is not the end');
  t.equal(read('"a"'), null, 'a final quote could still be doubled');
  const rec = read('a,"b ""x"""\r\n1,2');
  t.same(rec?.names, ['a', 'b "x"']);
  t.equal(rec?.next, 12, 'just past the CR; the LF is skipped by the record parser');
  t.equal(rec?.endedWithCR, true);
  t.same(read('a,b', true)?.names, ['a', 'b'], 'at the end of the body the record ends there');
});
