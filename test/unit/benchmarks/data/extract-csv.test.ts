import t from 'tap';
import { EXTRACT_HEADER, chunked, extractCsv } from '../../../../benchmarks/data/extract-csv.js';
import { inszCheckDigits } from '../../../../src/ingest/insz.js';

/** The kind of national number a benchmark row holds, judged by the product's check digits (insz.ts, pinned by insz.test.ts). */
function inszKind(raw: string): 'valid' | 'punctuated' | 'unpadded' | 'missing' | 'bad_check' | 'malformed' {
  if (raw === '') return 'missing';
  const punctuated = /^\d\d\.\d\d\.\d\d-\d\d\d\.\d\d$/.test(raw);
  const digits = raw.replace(/[.-]/g, '');
  if (!/^\d{10,11}$/.test(digits)) return 'malformed';
  const padded = digits.padStart(11, '0');
  const nine = padded.slice(0, 9);
  const check = padded.slice(9);
  const ok = check === inszCheckDigits(nine, false) || check === inszCheckDigits(nine, true);
  if (!ok) return 'bad_check';
  return punctuated ? 'punctuated' : digits.length === 10 ? 'unpadded' : 'valid';
}

t.test('writes the header and one LF-terminated record of four fields per row', async (t) => {
  const data = extractCsv(2000, 1);
  const lines = new TextDecoder('utf-8', { fatal: true }).decode(data.bytes).split('\n');
  t.equal(lines.pop(), '', 'the file ends with LF');
  t.equal(lines[0], EXTRACT_HEADER.join(','));
  t.equal(lines.length - 1, 2000);
  t.equal(lines.slice(1).filter((l) => l.split(',').length !== 4).length, 0);
});

t.test('counts each kind of national number it wrote, as an independent check reads them', async (t) => {
  const data = extractCsv(20_000, 2);
  const rows = new TextDecoder().decode(data.bytes).split('\n').slice(1, -1).map((l) => l.split(','));
  const seen = { valid: 0, punctuated: 0, unpadded: 0, missing: 0, bad_check: 0, malformed: 0 };
  for (const r of rows) seen[inszKind(r[0])]++;
  t.same(seen, {
    valid: data.counts.valid, punctuated: data.counts.punctuated, unpadded: data.counts.unpadded,
    missing: data.counts.missingId, bad_check: data.counts.badCheck, malformed: 0,
  });
  t.ok(data.counts.punctuated > 1500 && data.counts.missingId > 200 && data.counts.badCheck > 200 && data.counts.unpadded > 100, 'every kind occurs');
  t.equal(rows.filter((r) => r[3] === '').length, data.counts.missingAmount);
});

t.test('the birth date matches the date in the national number, and amounts have two decimals', async (t) => {
  const rows = new TextDecoder().decode(extractCsv(3000, 3).bytes).split('\n').slice(1, -1).map((l) => l.split(','));
  let mismatched = 0;
  for (const [insz, , date] of rows) {
    const d = insz.replace(/[.-]/g, '').padStart(11, '0');
    if (insz !== '' && `${date.slice(2, 4)}${date.slice(5, 7)}${date.slice(8, 10)}` !== d.slice(0, 6)) mismatched++;
  }
  t.equal(mismatched, 0);
  t.equal(rows.filter((r) => !/^\d{4}-\d\d-\d\d$/.test(r[2])).length, 0);
  t.equal(rows.filter((r) => r[3] !== '' && !/^\d{1,4}\.\d\d$/.test(r[3])).length, 0);
});

t.test('the same seed gives the same bytes', async (t) => {
  t.equal(Buffer.compare(extractCsv(500, 4).bytes, extractCsv(500, 4).bytes), 0);
  t.not(Buffer.compare(extractCsv(500, 4).bytes, extractCsv(500, 5).bytes), 0);
});

t.test('chunked yields views of the given size that add up to the bytes', async (t) => {
  const bytes = extractCsv(1000, 6).bytes;
  const parts: Uint8Array[] = [];
  for await (const c of chunked(bytes, 4096)) parts.push(c);
  t.ok(parts.slice(0, -1).every((p) => p.length === 4096));
  t.equal(Buffer.compare(Buffer.concat(parts), bytes), 0);
  t.equal(parts[0].buffer, bytes.buffer, 'no copies');
});
