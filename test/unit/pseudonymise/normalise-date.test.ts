import t from 'tap';
import { compileDateFormat, parseDate, type ParsedDate } from '../../../src/pseudonymise/normalise-date.js';

const parse = (raw: string, format: string): ParsedDate | null => {
  const f = compileDateFormat(format);
  if (f === null) throw new Error('bad format');
  const out = { y: 0, m: 0, d: 0 };
  return parseDate(raw, f, out) ? out : null;
};

t.test('parses the formats the job file allows', async (t) => {
  t.same(parse('1985-07-30', 'YYYY-MM-DD'), { y: 1985, m: 7, d: 30 });
  t.same(parse('19850730', 'YYYYMMDD'), { y: 1985, m: 7, d: 30 });
  t.same(parse('30/07/1985', 'DD/MM/YYYY'), { y: 1985, m: 7, d: 30 });
  t.same(parse('7/3/1985', 'DD/MM/YYYY'), { y: 1985, m: 3, d: 7 }, 'leading zeros may be missing with separators');
  t.same(parse('30.07.1985', 'DD/MM/YYYY'), { y: 1985, m: 7, d: 30 }, 'any separator separates');
  t.same(parse('7031985', 'DDMMYYYY'), { y: 1985, m: 3, d: 7 }, 'a spreadsheet dropped the leading zero');
});

t.test('rejects values that are not real calendar dates', async (t) => {
  t.equal(parse('1985-02-30', 'YYYY-MM-DD'), null);
  t.equal(parse('1985-13-01', 'YYYY-MM-DD'), null);
  t.equal(parse('19450493', 'YYYYMMDD'), null);
  t.equal(parse('1900-02-29', 'YYYY-MM-DD'), null, '1900 was not a leap year');
  t.same(parse('2000-02-29', 'YYYY-MM-DD'), { y: 2000, m: 2, d: 29 });
  t.equal(parse('85-07-30', 'YYYY-MM-DD'), null, 'two-digit years are not four');
  t.equal(parse('abc', 'YYYYMMDD'), null);
});

t.test('rejects formats not built from YYYY, MM, DD and separators', async (t) => {
  t.equal(compileDateFormat('YYY-MM-DD'), null);
  t.equal(compileDateFormat('YYYY-MM'), null);
  t.equal(compileDateFormat('YYYY-MMDD'), null, 'half separated is ambiguous');
  t.equal(compileDateFormat('DD/MM/YY'), null);
  t.not(compileDateFormat('DD MM YYYY'), null);
});
