import t from 'tap';
import { nationalIdCheck, normaliseNationalId } from '../../../src/pseudonymise/normalise-national-id.js';

const make = (body: string, from2000 = false) => body + nationalIdCheck(body, from2000);

t.test('accepts valid numbers with or without punctuation', async (t) => {
  const n = make('850730033');
  t.equal(normaliseNationalId(n), n);
  t.equal(normaliseNationalId(`${n.slice(0, 2)}.${n.slice(2, 4)}.${n.slice(4, 6)}-${n.slice(6, 9)}.${n.slice(9)}`), n);
  t.equal(normaliseNationalId(`${n.slice(0, 6)} ${n.slice(6)}`), n);
});

t.test('left-pads numbers that lost their leading zero in a spreadsheet (born 2000-2009)', async (t) => {
  const n = make('050310123', true);
  t.equal(n[0], '0');
  t.equal(normaliseNationalId(String(Number(n))), n);
});

t.test('BIS numbers (month + 20 or + 40) are valid', async (t) => {
  t.equal(normaliseNationalId(make('852730033')), make('852730033'));
  t.equal(normaliseNationalId(make('854730033')), make('854730033'));
});

t.test('counts the reason a number fails', async (t) => {
  const n = make('850730033');
  const typo = n.slice(0, 3) + String((Number(n[3]) + 1) % 10) + n.slice(4);
  t.equal(normaliseNationalId(typo), 'checksum', 'a digit typo fails the check digits');
  const swapped = n.slice(0, 7) + n[8] + n[7] + n.slice(9);
  if (n[7] !== n[8]) t.equal(normaliseNationalId(swapped), 'checksum', 'transposed digits fail the check digits');
  t.equal(normaliseNationalId('1234'), 'length');
  t.equal(normaliseNationalId('85O73003328'), 'length', 'a letter is not a digit');
  t.equal(normaliseNationalId(make('851330033')), 'date', 'month 13');
});
