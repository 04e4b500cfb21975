/**
 * The turnaround population (turnaround-data.ts) as encoded sources for the engine, for
 * benchmarks that link in memory at national size.
 *
 * Rows are generated and encoded in batches (`encodeSource` over `dictionaryOfStrings`) and each
 * batch is copied into one `EncodedSource` per source, allocated at its exact size up front (a
 * supplier's row count is a cheap hash per person): no string outlives its batch, and no source
 * is ever held twice, which concatenating a list of batches at the end would do. What is kept
 * of the rows is the truth: one Int32 per record, the generated person.
 */
import { dictionaryOfStrings } from '../../src/pseudonymise/encode-dictionary.js';
import type { EncodingKeys, FieldSpec } from '../../src/pseudonymise/encode-field.js';
import { encodeSource } from '../../src/pseudonymise/encode-source.js';
import type { EncodedField, EncodedSource } from '../../src/pseudonymise/encoded-source.js';
import { SHARE_ABSENT, SUPPLIERS, inSupplier, mix, supplierRows, type Population } from '../turnaround-data.js';

/** The fields a turnaround job links on. */
export const TURNAROUND_FIELDS: readonly FieldSpec[] = [
  { name: 'insz', type: 'national_id' },
  { name: 'voornaam', type: 'given_name' },
  { name: 'familienaam', type: 'surname' },
  { name: 'geboortedatum', type: 'date', format: 'YYYY-MM-DD' },
];

/**
 * Rows per encoded batch: large enough that each batch's dictionaries pay off (names and dates
 * repeat), small enough that a batch's strings stay a few tens of MB.
 */
export const ENCODE_BATCH_ROWS = 262_144;

interface FieldBuffers {
  readonly source: EncodedField;
  readonly present: Uint8Array;
  readonly tokens: Uint32Array;
  readonly bloom: Uint32Array | null;
  readonly bloomPop: Uint16Array | null;
  nulls: number;
  invalid: number;
}

/**
 * Encoded batches copied into one source of `size` records, in order. The arrays take their
 * shape (slots, Bloom words, pseudonyms or not) from the first batch, so every array an
 * `EncodedSource` has is carried, whatever the field types.
 */
export class EncodedSourceBuilder {
  private fields: FieldBuffers[] | null = null;
  private pseudonyms: Uint8Array | null = null;
  private at = 0;

  constructor(readonly name: string, readonly size: number, readonly unique = true) {}

  append(batch: EncodedSource): void {
    if (batch.size === 0) return;
    if (this.at + batch.size > this.size) throw new RangeError(`source ${this.name}: ${this.at + batch.size} records appended, ${this.size} allocated`);
    if (this.fields === null) this.allocate(batch);
    const at = this.at;
    batch.fields.forEach((f, i) => {
      const to = this.fields![i];
      if (f.name !== to.source.name || f.slots !== to.source.slots || f.bloomWords !== to.source.bloomWords) throw new Error(`source ${this.name}: batch field ${i} (${f.name}) has another shape`);
      to.present.set(f.present, at);
      to.tokens.set(f.tokens, at * f.slots * 2);
      if (to.bloom !== null) to.bloom.set(f.bloom!, at * f.bloomWords);
      if (to.bloomPop !== null) to.bloomPop.set(f.bloomPop!, at);
      to.nulls += f.quality.nulls;
      to.invalid += f.quality.invalid;
    });
    if (this.pseudonyms !== null) this.pseudonyms.set(batch.pseudonyms!, at * 32);
    this.at += batch.size;
  }

  finish(): EncodedSource {
    if (this.at !== this.size || this.fields === null) throw new Error(`source ${this.name}: ${this.at} records appended, ${this.size} expected`);
    const fields = this.fields.map((f): EncodedField => ({
      name: f.source.name, type: f.source.type, present: f.present, slots: f.source.slots, tokens: f.tokens,
      bloomWords: f.source.bloomWords, bloom: f.bloom, bloomPop: f.bloomPop, quality: { nulls: f.nulls, invalid: f.invalid },
    }));
    return { name: this.name, size: this.size, unique: this.unique, fields, pseudonyms: this.pseudonyms };
  }

  private allocate(batch: EncodedSource): void {
    const n = this.size;
    this.fields = batch.fields.map((f) => ({
      source: f,
      present: new Uint8Array(n),
      tokens: new Uint32Array(n * f.slots * 2),
      bloom: f.bloom === null ? null : new Uint32Array(n * f.bloomWords),
      bloomPop: f.bloomPop === null ? null : new Uint16Array(n),
      nulls: 0,
      invalid: 0,
    }));
    this.pseudonyms = batch.pseudonyms === null ? null : new Uint8Array(n * 32);
  }
}

/** One supplier's rows, encoded, with the generated person of each record. */
export interface EncodedSupplier {
  readonly source: EncodedSource;
  readonly truth: Int32Array;
}

/** Supplier `s`'s extract of the persons `include` accepts, encoded `batchRows` rows at a time. */
export function encodeSupplier(
  pop: Population, s: number, keys: EncodingKeys, include: (p: number) => boolean = () => true, batchRows = ENCODE_BATCH_ROWS,
): EncodedSupplier {
  let size = 0;
  for (let p = 0; p < pop.people; p++) if (inSupplier(pop, s, p) && include(p)) size++;
  const builder = new EncodedSourceBuilder(SUPPLIERS[s], size);
  const truth = new Int32Array(size);
  const columns = TURNAROUND_FIELDS.map(() => new Array<string | null>(Math.min(size, batchRows)));
  let n = 0; let rows = 0;
  const flush = () => {
    for (const c of columns) c.length = n;
    builder.append(encodeSource({
      name: SUPPLIERS[s], unique: true, size: n,
      columns: new Map(TURNAROUND_FIELDS.map((f, i) => [f.name, dictionaryOfStrings(columns[i])])),
    }, TURNAROUND_FIELDS, keys));
    n = 0;
  };
  for (const r of supplierRows(pop, s, { include })) {
    columns[0][n] = r.nationalId === '' ? null : r.nationalId;
    columns[1][n] = r.givenName;
    columns[2][n] = r.surname;
    columns[3][n] = r.birthDate;
    truth[rows++] = r.person;
    if (++n === batchRows) flush();
  }
  if (n > 0) flush();
  return { source: builder.finish(), truth };
}

/** Salt of the hash that picks the spine's persons for the new delivery. */
const NEW_DELIVERY_SALT = 0x51ed270b;

export interface TurnaroundQuarter {
  /** vdab_jobseekers and rsz_employment (the spine), then agodi_diplomas (the new delivery). */
  readonly sources: EncodedSource[];
  /** The generated person of each record, per source. */
  readonly truth: Int32Array[];
  /** Persons in the population (the spine's and those seen for the first time). */
  readonly people: number;
}

/**
 * A previous quarter and a new delivery from the turnaround population of `spine + fresh / 10`
 * persons. The spine: vdab and rsz over the first `spine` persons (each misses its own 1%).
 * The new delivery, agodi, about `fresh` records: every person past the spine (people seen for
 * the first time, about a tenth of its records) and a share of the spine's persons picked by a
 * hash of the person, so they are spread over the whole population and each supplier's order.
 */
export function turnaroundQuarter(spine: number, fresh: number, seed: number, keys: EncodingKeys): TurnaroundQuarter {
  const firstTime = Math.round(fresh / 10);
  const pop: Population = { people: spine + firstTime, seed };
  // Picked persons are then dropped by agodi's own 1% absence: pick a little more.
  const share = Math.min(1, Math.max(0, (fresh / (1 - SHARE_ABSENT) - firstTime) / spine));
  const cut = share * 2 ** 32;
  const inSpine = (p: number) => p < spine;
  const inNew = (p: number) => p >= spine || mix(p ^ NEW_DELIVERY_SALT ^ seed) < cut;
  const encoded = [encodeSupplier(pop, 0, keys, inSpine), encodeSupplier(pop, 1, keys, inSpine), encodeSupplier(pop, 2, keys, inNew)];
  return { sources: encoded.map((e) => e.source), truth: encoded.map((e) => e.truth), people: pop.people };
}
