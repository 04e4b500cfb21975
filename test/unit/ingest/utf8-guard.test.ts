import t from 'tap';
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { Utf8Guard, firstInvalidUtf8 } from '../../../src/ingest/utf8-guard.js';

/** Bytes that are mostly UTF-8 with some damage: valid text, random bytes, cut sequences. */
const mostlyUtf8 = fc
  .array(
    fc.oneof(
      { weight: 5, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }).map((s) => Array.from(new TextEncoder().encode(s))) },
      { weight: 1, arbitrary: fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 3 }) },
      { weight: 1, arbitrary: fc.constantFrom([0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0xe0, 0x80, 0x80], [0xf0, 0x9f, 0x98]) },
    ),
    { maxLength: 12 },
  )
  .map((parts) => Uint8Array.from(parts.flat()));

t.test('the locating scan agrees with isUtf8 on what is valid', async () => {
  fc.assert(
    fc.property(mostlyUtf8, (bytes) => (firstInvalidUtf8(bytes, 0, bytes.length) === -1) === isUtf8(bytes)),
    { seed: 9, numRuns: 3000 },
  );
});

t.test('the streaming guard flags exactly the invalid streams, near the first bad byte, at any chunking', async () => {
  fc.assert(
    fc.property(mostlyUtf8, fc.array(fc.nat(), { maxLength: 6 }), (bytes, rawCuts) => {
      const cuts = [...new Set(rawCuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b);
      const guard = new Utf8Guard();
      let reported = -1;
      let at = 0;
      for (const end of [...cuts, bytes.length]) {
        if (end <= at && end !== bytes.length) continue;
        const off = guard.check(bytes.subarray(at, end));
        if (off >= 0) {
          reported = at + off;
          break;
        }
        at = end;
      }
      if (reported < 0 && !guard.finish()) reported = bytes.length;
      const truth = firstInvalidUtf8(bytes, 0, bytes.length);
      if (truth < 0) return reported < 0;
      // A sequence cut between chunks is reported where the next chunk starts: at most 3 bytes on.
      return reported >= truth && reported <= truth + 3;
    }),
    { seed: 10, numRuns: 3000 },
  );
});
