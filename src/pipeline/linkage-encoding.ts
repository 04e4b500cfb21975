/**
 * Keyed encodings of a delivery's linkage columns, kept in linkage.arrow beside the pseudonym,
 * and read back as the link stage's `EncodedSource` for a job.
 *
 * Per linkage column `c` of field type T (design.md "Column roles"):
 *   `c:tokens`  FixedSizeBinary(8 * slots(T))  the keyed exact-agreement tokens (encoded-source.ts)
 *   `c:bloom`   FixedSizeBinary(4 * words(T))  the keyed Bloom filter, for types that have one
 * both null where the value is missing or does not parse. Nothing textual is stored.
 */
import { FixedSizeBinary, makeData, type Data, type DataType, type Table, type Utf8 } from 'apache-arrow';
import type { ColumnSpec, DatasetSchema, FieldType } from '../model.js';
import { BLOOM_SHAPE, TOKEN_SLOTS, type EncodedField, type EncodedSource, type FieldQuality } from '../pseudonymise/encoded-source.js';
import { FieldEncoder, type EncodingKeys } from '../pseudonymise/encode-field.js';
import { encodeNationalIdColumn } from '../pseudonymise/encode-national-id.js';
import { PURPOSES } from '../pseudonymise/index.js';
import { purposeKey, type PipelineContext } from './context.js';
import { concatFixedSizeBinary, makeUtf8 } from '../util/arrow-columns.js';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';
import { foldBloom } from '../pseudonymise/encode-keyed.js';
import { storedBloomWords } from './delivery-format.js';

export function linkageColumns(schema: DatasetSchema): ColumnSpec[] {
  return schema.columns.filter((c) => c.role === 'linkage');
}

export function tokensColumn(name: string): string {
  return `${name}:tokens`;
}

export function bloomColumn(name: string): string {
  return `${name}:bloom`;
}

/** The stored columns of one linkage column, in order. */
export function encodingFields(column: ColumnSpec): { name: string; type: DataType }[] {
  const type = column.type as FieldType;
  const out: { name: string; type: DataType }[] = [{ name: tokensColumn(column.name), type: new FixedSizeBinary(8 * TOKEN_SLOTS[type].length) }];
  if (BLOOM_SHAPE[type].words > 0) out.push({ name: bloomColumn(column.name), type: new FixedSizeBinary(4 * BLOOM_SHAPE[type].words) });
  return out;
}

export function encodingKeys(ctx: PipelineContext, keyId: string): EncodingKeys {
  return {
    encode: (type: FieldType) => purposeKey(ctx, PURPOSES.encode(type), keyId),
    nationalId: purposeKey(ctx, PURPOSES.nationalId, keyId),
  };
}

function validityOf(present: Uint8Array): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array((present.length + 7) >>> 3);
  let nullCount = 0;
  for (let i = 0; i < present.length; i++) {
    if (present[i] === 1) nullBitmap[i >>> 3] |= 1 << (i & 7);
    else nullCount++;
  }
  return { nullBitmap, nullCount };
}

/** Encoding work per turn of the event loop: past it, the encoder yields so requests are served. */
const TURN_MS = 20;
/** Rows, and bytes of text, encoded between two looks at the clock. */
const STEP_ROWS = 256;
const STEP_BYTES = 16 * 1024;
/**
 * A linkage value longer than this is no name, date or postcode: it is counted invalid and never
 * encoded, since its q-grams would cost HMACs by the thousand (a 16 KiB name, ~25 ms). Keeps one
 * step of encoding short, whatever the field limit.
 */
const MAX_ENCODED_BYTES = 1024;

/**
 * Encodes an upload's cleartext linkage columns batch by batch, each distinct value once per
 * delivery (names and dates repeat across batches). The distinct values are held in memory for
 * the upload only; the cleartext batches are not referenced after `encodeBatch` returns.
 *
 * Keyed encoding costs per q-gram: a batch of 65,536 distinct names, or a few hundred long ones,
 * is seconds of HMACs. So a batch is encoded in steps of at most STEP_ROWS rows and STEP_BYTES
 * bytes, and after TURN_MS of steps the encoder yields to the event loop (setImmediate): the
 * server keeps answering while an upload, however hostile, is encoded (MAX_ENCODED_BYTES bounds
 * one step).
 */
export class LinkageEncoder {
  private readonly encoders: Map<string, FieldEncoder>;
  private turnStart = performance.now();

  /**
   * `stepped` (default): steps and yields as above, for the main thread. An encode worker has
   * no requests to serve: it encodes a batch in one step (no per-step copies).
   */
  constructor(private readonly columns: readonly ColumnSpec[], private readonly keys: EncodingKeys, private readonly stepped = true) {
    this.encoders = new Map(columns
      .filter((c) => c.type !== 'national_id')
      .map((c) => [c.name, new FieldEncoder({ name: c.name, type: c.type as FieldType, format: c.format }, keys)]));
  }

  /** One batch's stored columns (tokens, and Bloom filters where the type has them); adds each field's null and invalid counts to `quality`. */
  async encodeBatch(cleartext: ReadonlyMap<string, Data<Utf8>>, quality: Record<string, FieldQuality>): Promise<Data[]> {
    return encodingData(this.columns, await this.encodeColumns(cleartext), quality);
  }

  /** One batch's encodings per linkage column, as typed arrays (what an encode worker hands back). */
  async encodeColumns(cleartext: ReadonlyMap<string, Data<Utf8>>): Promise<ColumnEncoding[]> {
    const out: ColumnEncoding[] = [];
    for (const column of this.columns) {
      const data = cleartext.get(column.name);
      if (data === undefined) throw new Error(`ingest produced no linkage column ${column.name}`);
      // National numbers barely repeat: straight from the bytes, as `koppel link` does (same tokens).
      const field = column.type === 'national_id'
        ? encodeNationalIdColumn(column.name, [data], this.keys.nationalId).field
        : await this.encodeInSteps(this.encoders.get(column.name)!, column.type as FieldType, data);
      out.push({ present: field.present, slots: field.slots, tokens: field.tokens, bloomWords: field.bloomWords, bloom: field.bloom, quality: { nulls: field.quality.nulls, invalid: field.quality.invalid } });
    }
    return out;
  }

  /** `encoder.encode([data])`, one step at a time, yielding once a turn's time is spent. */
  private async encodeInSteps(encoder: FieldEncoder, type: FieldType, data: Data<Utf8>): Promise<ColumnEncoding> {
    const n = data.length;
    if (!this.stepped && n > 0) {
      const slice = compactSlice(data, 0, n);
      const { field } = encoder.encode([slice.data]);
      // Values too long to encode were read as missing; they were there, and are invalid.
      const quality = { nulls: field.quality.nulls - slice.tooLong, invalid: field.quality.invalid + slice.tooLong };
      return { present: field.present, slots: field.slots, tokens: field.tokens, bloomWords: field.bloomWords, bloom: field.bloom, quality };
    }
    const o = data.valueOffsets;
    const slots = TOKEN_SLOTS[type].length;
    const words = BLOOM_SHAPE[type].words;
    const present = new Uint8Array(n);
    const tokens = new Uint32Array(n * slots * 2);
    const bloom = words > 0 ? new Uint32Array(n * words) : null;
    const quality = { nulls: 0, invalid: 0 };
    for (let start = 0; start < n;) {
      let end = start + 1;
      while (end < n && end - start < STEP_ROWS && o[end + 1] - o[start] <= STEP_BYTES) end++;
      const slice = compactSlice(data, start, end);
      const { field } = encoder.encode([slice.data]);
      present.set(field.present, start);
      tokens.set(field.tokens, start * slots * 2);
      if (bloom !== null && field.bloom !== null) bloom.set(field.bloom, start * words);
      // Values too long to encode were read as missing; they were there, and are invalid.
      quality.nulls += field.quality.nulls - slice.tooLong;
      quality.invalid += field.quality.invalid + slice.tooLong;
      start = end;
      await this.pause();
    }
    return { present, slots, tokens, bloomWords: words, bloom, quality };
  }

  private async pause(): Promise<void> {
    if (performance.now() - this.turnStart < TURN_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.turnStart = performance.now();
  }
}

/** One linkage column's encodings of a batch: presence, tokens and Bloom filters per row. */
export type ColumnEncoding = Pick<EncodedField, 'present' | 'slots' | 'tokens' | 'bloomWords' | 'bloom' | 'quality'>;

/** The stored columns (`encodingFields` order) of a batch's encodings; adds their counts to `quality`. */
export function encodingData(columns: readonly ColumnSpec[], encoded: readonly ColumnEncoding[], quality: Record<string, FieldQuality>): Data[] {
  const out: Data[] = [];
  const bytes = (words: Uint32Array) => new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  columns.forEach((column, i) => {
    const field = encoded[i];
    const q = (quality[column.name] ??= { nulls: 0, invalid: 0 });
    q.nulls += field.quality.nulls;
    q.invalid += field.quality.invalid;
    const validity = validityOf(field.present);
    const length = field.present.length;
    out.push(makeData({ type: new FixedSizeBinary(8 * field.slots), length, ...validity, data: bytes(field.tokens) }));
    if (field.bloom !== null) out.push(makeData({ type: new FixedSizeBinary(4 * field.bloomWords), length, ...validity, data: bytes(field.bloom) }));
  });
  return out;
}

/**
 * Rows [start, end) of a text column as a column of their own (offsets from 0, its own bitmap),
 * values over MAX_ENCODED_BYTES made null (`tooLong` of them).
 */
function compactSlice(data: Data<Utf8>, start: number, end: number): { data: Data<Utf8>; tooLong: number } {
  const o = data.valueOffsets;
  const len = end - start;
  const offsets = new Int32Array(len + 1);
  for (let i = 0; i <= len; i++) offsets[i] = o[start + i] - o[start];
  const bitmap = validityBitmap(data);
  const validity = new Uint8Array((len + 7) >> 3);
  let nulls = 0;
  let tooLong = 0;
  for (let i = 0; i < len; i++) {
    const valid = bitmap === null || isBitSet(bitmap, data.offset + start + i);
    if (valid && offsets[i + 1] - offsets[i] > MAX_ENCODED_BYTES) tooLong++;
    if (valid && offsets[i + 1] - offsets[i] <= MAX_ENCODED_BYTES) validity[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return { data: makeUtf8(data.values.subarray(o[start], o[end]), offsets, len, validity, nulls), tooLong };
}

/** One batch on its own (tests, one-off callers): `LinkageEncoder` for a single batch. */
export function encodeLinkageBatch(
  columns: readonly ColumnSpec[], cleartext: ReadonlyMap<string, Data<Utf8>>, keys: EncodingKeys, quality: Record<string, FieldQuality>,
): Promise<Data[]> {
  return new LinkageEncoder(columns, keys).encodeBatch(cleartext, quality);
}

function popcounts(bloom: Uint32Array, words: number, n: number): Uint16Array {
  const pop = new Uint16Array(n);
  for (let r = 0; r < n; r++) {
    let c = 0;
    for (let w = r * words, end = w + words; w < end; w++) {
      let v = bloom[w];
      v -= (v >>> 1) & 0x55555555;
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      c += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    }
    pop[r] = c;
  }
  return pop;
}

function absentField(name: string, type: FieldType, n: number): EncodedField {
  const slots = TOKEN_SLOTS[type].length;
  const words = BLOOM_SHAPE[type].words;
  return {
    name, type, present: new Uint8Array(n), slots, tokens: new Uint32Array(n * slots * 2),
    bloomWords: words, bloom: words > 0 ? new Uint32Array(n * words) : null, bloomPop: words > 0 ? new Uint16Array(n) : null,
    quality: { nulls: n, invalid: 0 },
  };
}

export interface JobField {
  readonly name: string;
  readonly type: FieldType;
}

/**
 * A delivery as the link stage sees it: for each job field, the stored encodings of the
 * dataset's linkage column of that field (`columnOf` maps field -> column; absent = all null),
 * and for `national_id` the stored pseudonyms. `format` is the file's delivery format: filters
 * stored larger by an older format are folded to today's size.
 */
export function encodedSourceOf(
  name: string, unique: boolean, linkage: Table, format: number, fields: readonly JobField[], columnOf: ReadonlyMap<string, ColumnSpec>,
  quality: Record<string, FieldQuality>,
): EncodedSource {
  const n = linkage.numRows;
  let pseudonyms: Uint8Array | null = null;
  const encoded = fields.map((f): EncodedField => {
    if (f.type === 'national_id') {
      const { bytes, present } = concatFixedSizeBinary(linkage, 'pseudonym', 32);
      pseudonyms = bytes;
      const tokens = new Uint32Array(n * 2);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let nulls = 0;
      for (let r = 0; r < n; r++) {
        if (present[r] === 0) { nulls++; continue; }
        tokens[r * 2] = view.getUint32(r * 32, true);
        tokens[r * 2 + 1] = view.getUint32(r * 32 + 4, true);
      }
      return { name: f.name, type: f.type, present, slots: 1, tokens, bloomWords: 0, bloom: null, bloomPop: null, quality: { nulls, invalid: 0 } };
    }
    const column = columnOf.get(f.name);
    if (column === undefined) return absentField(f.name, f.type, n);
    const slots = TOKEN_SLOTS[f.type].length;
    const words = BLOOM_SHAPE[f.type].words;
    const t = concatFixedSizeBinary(linkage, tokensColumn(column.name), slots * 8);
    const tokens = new Uint32Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength / 4);
    let bloom: Uint32Array | null = null;
    let bloomPop: Uint16Array | null = null;
    if (words > 0) {
      const stored = storedBloomWords(f.type, format);
      const b = concatFixedSizeBinary(linkage, bloomColumn(column.name), stored * 4);
      bloom = foldBloom(new Uint32Array(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength / 4), stored, words, n);
      bloomPop = popcounts(bloom, words, n);
    }
    return { name: f.name, type: f.type, present: t.present, slots, tokens, bloomWords: words, bloom, bloomPop, quality: quality[column.name] ?? { nulls: 0, invalid: 0 } };
  });
  return { name, size: n, unique, fields: encoded, pseudonyms };
}
