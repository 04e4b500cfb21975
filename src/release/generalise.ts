/**
 * Global recoding of key variables before suppression ("first generalise, then suppress"):
 * numbers into bands (`{ band: 5 }`: birth year 1987 -> "1985-1989") and codes into their
 * prefix (`{ prefix: 2 }`: NIS municipality 11002 -> arrondissement "11"; `prefix: 1` gives
 * the province digit). Fewer, larger groups mean fewer values lost to k-anonymity.
 *
 * The result is a Dictionary<Utf8> column: one label per distinct band or prefix, decoded
 * once; per row only an integer key and an index, no string.
 */
import {
  DataType, Dictionary, Int32, Utf8, makeData, vectorFromArray, type Data, type Vector,
} from 'apache-arrow';
import { chunksOf } from './take.js';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';

export type Generalisation = { readonly band: number } | { readonly prefix: number };

export function describeGeneralisation(rule: Generalisation): string {
  return 'band' in rule ? `bands of ${rule.band}` : `first ${rule.prefix} character${rule.prefix === 1 ? '' : 's'}`;
}

/** Whether a column of this type can take the rule. */
export function canGeneralise(type: DataType, rule: Generalisation): boolean {
  if ('band' in rule) return DataType.isInt(type) || DataType.isFloat(type);
  return DataType.isUtf8(type) || (DataType.isDictionary(type) && DataType.isUtf8(type.dictionary));
}

export function generaliseColumn(column: Vector | Data, rule: Generalisation): Data {
  const chunks = chunksOf(column);
  let length = 0;
  for (const c of chunks) length += c.length;
  const indices = new Int32Array(length);
  const nullBitmap = new Uint8Array((length + 7) >>> 3);
  let nullCount = 0;
  const index = new Map<number, number>();
  const labels: string[] = [];
  let at = 0;
  for (const chunk of chunks) {
    if (!canGeneralise(chunk.type, rule)) throw new TypeError(`cannot generalise a ${String(chunk.type)} column by ${describeGeneralisation(rule)}`);
    const bitmap = validityBitmap(chunk);
    for (let i = 0; i < chunk.length; i++, at++) {
      if (bitmap !== null && !isBitSet(bitmap, chunk.offset + i)) { nullCount++; continue; }
      const key = 'band' in rule ? bandKey(chunk, i, rule.band) : prefixKey(chunk, i, rule.prefix);
      if (Number.isNaN(key)) { nullCount++; continue; }
      let code = index.get(key);
      if (code === undefined) {
        code = labels.length;
        index.set(key, code);
        labels.push('band' in rule ? `${key}-${key + rule.band - 1}` : prefixLabel(key));
      }
      indices[at] = code;
      nullBitmap[at >>> 3] |= 1 << (at & 7);
    }
  }
  return makeData({
    type: new Dictionary(new Utf8(), new Int32()), length, nullCount, nullBitmap, data: indices,
    dictionary: vectorFromArray(labels, new Utf8()),
  });
}

function bandKey(chunk: Data, i: number, band: number): number {
  const v = Number((chunk.values as ArrayLike<number | bigint>)[i]);
  return Number.isFinite(v) ? Math.floor(v / band) * band : Number.NaN;
}

/** The first `n` UTF-8 bytes, packed base 256 with the length in the lowest byte. */
function prefixKey(chunk: Data, i: number, n: number): number {
  let offsets = chunk.valueOffsets as Int32Array;
  let bytes = chunk.values as Uint8Array;
  let row = i;
  if (DataType.isDictionary(chunk.type)) {
    const dict = chunk.dictionary!.data[0];
    row = (chunk.values as Int32Array)[i];
    offsets = dict.valueOffsets as Int32Array;
    bytes = dict.values as Uint8Array;
  }
  const start = offsets[row];
  const take = Math.min(n, offsets[row + 1] - start);
  let key = 0;
  for (let b = 0; b < take; b++) key = key * 256 + bytes[start + b];
  return key * 256 + take;
}

function prefixLabel(key: number): string {
  const take = key % 256;
  const out = new Uint8Array(take);
  let rest = Math.floor(key / 256);
  for (let b = take - 1; b >= 0; b--) {
    out[b] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return Buffer.from(out).toString('utf8');
}
