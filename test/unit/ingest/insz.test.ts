import t from 'tap';
import fc from 'fast-check';
import {
  INSZ_BAD_CHECK,
  INSZ_BAD_DATE,
  INSZ_MALFORMED,
  INSZ_MISSING,
  INSZ_STATUS_NAMES,
  INSZ_VALID,
  countInszStatus,
  inszBirthYear,
  inszCheckDigits,
  inszSex,
  normaliseInsz,
  normaliseInszColumn,
} from '../../../src/ingest/insz.js';
import { utf8FromStrings } from '../../../src/util/arrow-columns.js';
import { makeInsz, withCheck } from './synthetic.js';

const bytes = (s: string) => new TextEncoder().encode(s);

/** Birth data of a generated number: year 1900-2099, month 0-12, BIS offset, day 0-31, serial 1-998. */
const birth = fc.record({
  year: fc.integer({ min: 1900, max: 2099 }),
  month: fc.integer({ min: 0, max: 12 }),
  bis: fc.constantFrom(0, 20, 40),
  day: fc.integer({ min: 0, max: 31 }),
  serial: fc.integer({ min: 1, max: 998 }),
});

t.test('generated valid numbers of both centuries, BIS variants and unknown day/month pass', async (t) => {
  fc.assert(
    fc.property(birth, ({ year, month, bis, day, serial }) => {
      const insz = makeInsz(year, month + bis, day, serial);
      const r = normaliseInsz(insz);
      if (r.status !== INSZ_VALID || r.digits !== insz) return false;
      const d = bytes(insz);
      if (inszBirthYear(d, 0) !== year) return false;
      const expectedSex = bis === 20 ? 0 : serial % 2 === 1 ? 1 : 2;
      return inszSex(d, 0) === expectedSex;
    }),
    { seed: 42, numRuns: 2000 },
  );
  // The corners, spelled out.
  t.equal(normaliseInsz(makeInsz(1900, 0, 0, 1)).status, INSZ_VALID, 'month and day 00');
  t.equal(normaliseInsz(makeInsz(2099, 52, 31, 998)).status, INSZ_VALID, 'BIS +40, December');
  t.equal(normaliseInsz(makeInsz(2000, 32, 31, 2)).status, INSZ_VALID, 'BIS +20, December');
});

t.test('accepts the usual punctuation and returns the 11 digits', async (t) => {
  const insz = makeInsz(1985, 7, 30, 33);
  const dotted = `${insz.slice(0, 2)}.${insz.slice(2, 4)}.${insz.slice(4, 6)}-${insz.slice(6, 9)}.${insz.slice(9)}`;
  t.same(normaliseInsz(dotted), { status: INSZ_VALID, digits: insz });
  t.same(normaliseInsz(`${insz.slice(0, 6)} ${insz.slice(6, 9)} ${insz.slice(9)}`), { status: INSZ_VALID, digits: insz });
  t.same(normaliseInsz(`${insz.slice(0, 2)}/${insz.slice(2, 4)}/${insz.slice(4)}`), { status: INSZ_VALID, digits: insz });
  t.same(normaliseInsz(` ${insz} `), { status: INSZ_VALID, digits: insz });
});

t.test('repairs numbers of 2000-2009 births that lost leading zeros in a spreadsheet', async (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2000, max: 2009 }),
      fc.integer({ min: 1, max: 12 }), // month 00 of 2000 would lose five zeros: beyond repair
      fc.integer({ min: 1, max: 28 }),
      fc.integer({ min: 1, max: 998 }),
      (year, month, day, serial) => {
        const insz = makeInsz(year, month, day, serial);
        const asNumber = String(Number(insz)); // what a spreadsheet keeps
        if (asNumber.length >= 11) return false;
        const r = normaliseInsz(asNumber);
        return r.status === INSZ_VALID && r.digits === insz;
      },
    ),
    { seed: 7, numRuns: 500 },
  );
  // A January-September 2000 birth starts with three zeros (00 year, 0 of the month).
  const threeLost = makeInsz(2000, 1, 1, 1);
  t.equal(String(Number(threeLost)).length, 8);
  t.same(normaliseInsz(String(Number(threeLost))), { status: INSZ_VALID, digits: threeLost });
  t.equal(normaliseInsz('1234567').status, INSZ_MALFORMED, 'seven digits are too few to repair');
});

t.test('a single-digit change never yields a valid number of the same birth year', async (t) => {
  let survived = 0;
  let changes = 0;
  fc.assert(
    fc.property(birth, fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 9 }), ({ year, month, bis, day, serial }, pos, delta) => {
      const insz = makeInsz(year, month + bis, day, serial);
      const changed = insz.slice(0, pos) + String((Number(insz[pos]) + delta) % 10) + insz.slice(pos + 1);
      const r = normaliseInsz(changed);
      changes++;
      if (r.status !== INSZ_VALID) return true;
      survived++;
      // Only a flip to the other century's check can survive (2e9 mod 97 = 68).
      return inszBirthYear(bytes(changed), 0) !== year && pos < 9;
    }),
    { seed: 1, numRuns: 3000 },
  );
  t.ok(survived < changes / 50, `only rare edits survive (${survived} of ${changes})`);
});

t.test('a single-digit change in the check digits always fails the check', async (t) => {
  // 2e9 mod 97 = 68: the two variants' check digits differ by 29 or 68 (mod 97), which no
  // single-digit edit of CC (a change of 1-9 or 10-90) can bridge.
  fc.assert(
    fc.property(birth, fc.integer({ min: 9, max: 10 }), fc.integer({ min: 1, max: 9 }), ({ year, month, bis, day, serial }, pos, delta) => {
      const insz = makeInsz(year, month + bis, day, serial);
      const changed = insz.slice(0, pos) + String((Number(insz[pos]) + delta) % 10) + insz.slice(pos + 1);
      return normaliseInsz(changed).status === INSZ_BAD_CHECK;
    }),
    { seed: 5, numRuns: 2000 },
  );
  const insz = makeInsz(1985, 7, 30, 33);
  const other = makeInsz(2085, 7, 30, 33);
  t.equal(normaliseInsz(withCheck(insz, Number(other.slice(9)))).status, INSZ_VALID, 'the other century\'s check digits are valid too');
  t.equal(inszBirthYear(new TextEncoder().encode(other), 0), 2085);
});

t.test('adjacent transpositions never yield a valid number of the same birth year', async (t) => {
  fc.assert(
    fc.property(birth, fc.integer({ min: 0, max: 9 }), ({ year, month, bis, day, serial }, pos) => {
      const insz = makeInsz(year, month + bis, day, serial);
      if (insz[pos] === insz[pos + 1]) return true;
      const swapped = insz.slice(0, pos) + insz[pos + 1] + insz[pos] + insz.slice(pos + 2);
      const r = normaliseInsz(swapped);
      return r.status !== INSZ_VALID || inszBirthYear(bytes(swapped), 0) !== year;
    }),
    { seed: 3, numRuns: 3000 },
  );
});

t.test('classifies missing, malformed, bad date and bad check', async (t) => {
  t.same(normaliseInsz(''), { status: INSZ_MISSING, digits: null });
  t.same(normaliseInsz(null), { status: INSZ_MISSING, digits: null });
  t.same(normaliseInsz('-'), { status: INSZ_MISSING, digits: null }, 'a lone dash is how some exports say "none"');
  t.equal(normaliseInsz('8507300332').status, INSZ_BAD_CHECK, '10 digits are padded, then checked');
  t.equal(normaliseInsz('8507300').status, INSZ_MALFORMED, '7 digits');
  t.equal(normaliseInsz('850730033281').status, INSZ_MALFORMED, '12 digits');
  t.equal(normaliseInsz('85O73003328').status, INSZ_MALFORMED, 'a letter O');
  t.equal(normaliseInsz('85073003328\t').status, INSZ_MALFORMED, 'a tab is not a separator');
  // Valid check digits around an impossible date.
  const base = (m: number, d: number) => {
    const nine = String(85 * 1e7 + m * 1e5 + d * 1e3 + 33).padStart(9, '0');
    return nine + inszCheckDigits(nine, false);
  };
  t.equal(normaliseInsz(base(13, 1)).status, INSZ_BAD_DATE, 'month 13');
  t.equal(normaliseInsz(base(33, 1)).status, INSZ_BAD_DATE, 'month 33');
  t.equal(normaliseInsz(base(53, 1)).status, INSZ_BAD_DATE, 'month 53');
  t.equal(normaliseInsz(base(7, 32)).status, INSZ_BAD_DATE, 'day 32');
  t.equal(normaliseInsz(base(7, 31)).status, INSZ_VALID, 'day 31 of any month: no calendar check');
  t.same(INSZ_STATUS_NAMES, ['valid', 'missing', 'malformed', 'bad_date', 'bad_check']);
});

t.test('the column kernel agrees with the single-value form, on sliced columns too', async (t) => {
  const value = fc.oneof(
    birth.map(({ year, month, bis, day, serial }) => makeInsz(year, month + bis, day, serial)),
    fc.string({ maxLength: 14 }),
    fc.stringMatching(/^[0-9. -]{0,14}$/),
    fc.constant(null),
  );
  fc.assert(
    fc.property(fc.array(value, { maxLength: 40 }), fc.nat(), fc.nat(), (values, a, b) => {
      const col = utf8FromStrings(values);
      const start = values.length === 0 ? 0 : a % values.length;
      const len = values.length === 0 ? 0 : b % (values.length - start + 1);
      const sliced = col.slice(start, len);
      const out = normaliseInszColumn(sliced);
      for (let i = 0; i < len; i++) {
        const one = normaliseInsz(values[start + i]);
        if (out.status[i] !== one.status) return false;
        const digits = String.fromCharCode(...out.digits.subarray(i * 11, i * 11 + 11));
        if (digits !== (one.digits ?? '00000000000')) return false;
      }
      return out.status.length === len && out.digits.length === len * 11;
    }),
    { seed: 11, numRuns: 500 },
  );
});

t.test('counts statuses by report name', async (t) => {
  const counts = { valid: 1, missing: 0, malformed: 0, bad_date: 0, bad_check: 0 };
  countInszStatus(Uint8Array.from([0, 0, 1, 2, 4, 4, 3]), counts);
  t.same(counts, { valid: 3, missing: 1, malformed: 1, bad_date: 1, bad_check: 2 });
});
