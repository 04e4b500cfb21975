/**
 * Linkage-pseudonym throughput: HMAC-SHA256 of n 11-digit national numbers (default 1M), one thread.
 *
 * Koppel's batch kernel (`hmacFixedWidth`: WebAssembly SIMD, four rows at a time) against the
 * two obvious alternatives a developer would reach for: node:crypto `createHmac` per id, and
 * @noble/hashes `hmac` with a pre-keyed instance cloned per id (noble's own recipe for many
 * messages under one key); and against its own JS fallback kernel (`hmacFixedWidthScalar`).
 * All hash the same buffer under the same key; the outputs are compared once so a fast wrong
 * kernel cannot win.
 */
import { createHmac } from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hmacFixedWidth, hmacFixedWidthScalar } from '../src/pseudonymise/hmac-batch.js';
import { pseudonymiseNationalIds } from '../src/pseudonymise/hmac-columns.js';
import { compared, millionsPerSecond, timeMediansInterleaved, type Benchmark, type BenchOptions } from './harness.js';

const WIDTH = 11;

/** Deterministic synthetic digits (xorshift32), not valid INSZ numbers: validity is irrelevant here. */
function syntheticDigits(n: number): Uint8Array {
  const digits = new Uint8Array(n * WIDTH);
  let x = 0x2545f491;
  for (let i = 0; i < digits.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    digits[i] = 48 + ((x >>> 0) % 10);
  }
  return digits;
}

const bench: Benchmark = {
  name: 'hmac',
  description: 'HMAC-SHA256 of 11-digit national numbers: Koppel batch kernel vs node:crypto and noble',
  run(opts: BenchOptions) {
    const n = opts.n ?? 1_000_000;
    const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
    const digits = syntheticDigits(n);
    const outKernel = new Uint8Array(n * 32);
    const outNode = new Uint8Array(n * 32);
    const outNoble = new Uint8Array(n * 32);
    const outScalar = new Uint8Array(n * 32);

    const keyed = hmac.create(sha256, key);
    // With nulls and the Arrow wrapping, as ingest calls it (every 50th id invalid).
    const status = new Uint8Array(n);
    for (let i = 0; i < n; i += 50) status[i] = 1;
    const ms = timeMediansInterleaved({
      kernel: () => hmacFixedWidth(key, digits, WIDTH, n, outKernel),
      scalar: () => hmacFixedWidthScalar(key, digits, WIDTH, n, outScalar),
      node: () => {
        for (let i = 0, p = 0; i < n; i++, p += WIDTH) {
          outNode.set(createHmac('sha256', key).update(digits.subarray(p, p + WIDTH)).digest(), i * 32);
        }
      },
      noble: () => {
        for (let i = 0, p = 0; i < n; i++, p += WIDTH) {
          keyed.clone().update(digits.subarray(p, p + WIDTH)).digestInto(outNoble.subarray(i * 32, i * 32 + 32));
        }
      },
      arrow: () => { pseudonymiseNationalIds(key, digits, status); },
    }, opts);

    if (Buffer.compare(outKernel, outNode) !== 0 || Buffer.compare(outKernel, outNoble) !== 0 || Buffer.compare(outKernel, outScalar) !== 0) {
      throw new Error('hmac benchmark: the kernel disagrees with node:crypto, noble or the JS kernel');
    }
    const kernel = millionsPerSecond(n, ms.kernel);
    const node = { name: 'node:crypto createHmac per id', value: millionsPerSecond(n, ms.node) };
    const noble = { name: '@noble/hashes hmac clone per id', value: millionsPerSecond(n, ms.noble) };
    return [
      compared('hmac', 'national_id_hmac', 'M ids/s', kernel, node),
      compared('hmac', 'national_id_hmac', 'M ids/s', kernel, noble),
      compared('hmac', 'national_id_hmac', 'M ids/s', kernel, { name: 'Koppel JS kernel (fallback without SIMD)', value: millionsPerSecond(n, ms.scalar) }),
      compared('hmac', 'pseudonymise_national_ids_arrow', 'M ids/s', millionsPerSecond(n, ms.arrow), node),
    ];
  },
};

export default bench;
