/**
 * Encodes every linkage field of one source into an `EncodedSource`: keyed tokens, keyed Bloom
 * filters and linkage pseudonyms, with per-field null and invalid counts. The caller hands in
 * the source's columns (Arrow Utf8 chunks or dictionaries) and drops them afterwards; nothing
 * textual survives in the result.
 */
import type { Data, Utf8 } from 'apache-arrow';
import type { FieldType } from '../model.js';
import type { EncodedField, EncodedSource } from './encoded-source.js';
import { dictionaryOfUtf8, type TextDictionary } from './encode-dictionary.js';
import { encodeField, type EncodedFieldResult, type EncodingKeys, type FieldSpec } from './encode-field.js';
import { encodeNationalIdColumn, nationalIdDigits, nationalIdField } from './encode-national-id.js';
import { sharedBytes, type NationalIdBatches, type PseudonymWorkers } from './encode-workers.js';
import { derivePurposeKey, PURPOSES } from './key-derivation.js';

/** Purpose keys derived once from a 32-byte master key (design.md "Keys"). */
export function encodingKeysFrom(master: Uint8Array): EncodingKeys {
  const cache = new Map<string, Uint8Array>();
  const derive = (purpose: string): Uint8Array => {
    let key = cache.get(purpose);
    if (key === undefined) { key = derivePurposeKey(master, purpose); cache.set(purpose, key); }
    return key;
  };
  return {
    encode: (type: FieldType) => derive(PURPOSES.encode(type)),
    nationalId: derive(PURPOSES.nationalId),
  };
}

export interface SourceColumns {
  readonly name: string;
  readonly unique: boolean;
  readonly size: number;
  /** Field name -> the source's column for it, as Arrow Utf8 chunks or a ready dictionary. */
  readonly columns: ReadonlyMap<string, readonly Data<Utf8>[] | TextDictionary>;
}

export function encodeSource(input: SourceColumns, fields: readonly FieldSpec[], keys: EncodingKeys): EncodedSource {
  return assemble(input, fields.map((spec) => {
    const column = columnOf(input, spec);
    // Straight from the Utf8 bytes: national numbers barely repeat, so a dictionary only costs.
    if (spec.type === 'national_id' && Array.isArray(column)) return encodeNationalIdColumn(spec.name, column as readonly Data<Utf8>[], keys.nationalId);
    return encodeWithDictionary(input, spec, column, keys);
  }));
}

/**
 * `encodeSource` with the HMAC of national numbers on worker threads: it returns once the
 * digits are taken from the columns (the caller may drop them and read the next source), and
 * resolves when the HMAC tasks are done (a caller with nothing left to do calls
 * `workers.helpInline()` to take a share). Same result as `encodeSource`.
 */
export function encodeSourceOn(
  workers: PseudonymWorkers, input: SourceColumns, fields: readonly FieldSpec[], keys: EncodingKeys,
  started: ReadonlyMap<string, NationalIdBatches> = new Map(),
): Promise<EncodedSource> {
  const results = fields.map((spec): EncodedFieldResult | Promise<EncodedFieldResult> => {
    // A national_id column whose batches went to the workers while it was read.
    const batches = started.get(spec.name);
    if (batches !== undefined && batches.rows === input.size) return batches.finish(spec.name);
    const column = columnOf(input, spec);
    if (spec.type === 'national_id' && Array.isArray(column)) {
      const d = nationalIdDigits(column as readonly Data<Utf8>[], sharedBytes);
      return workers.pseudonymise(keys.nationalId, d).then((p) => nationalIdField(spec.name, d, p));
    }
    return encodeWithDictionary(input, spec, column, keys);
  });
  return Promise.all(results).then((done) => assemble(input, done));
}

function columnOf(input: SourceColumns, spec: FieldSpec): readonly Data<Utf8>[] | TextDictionary {
  const column = input.columns.get(spec.name);
  if (column === undefined) throw new Error(`source ${input.name} has no column for field ${spec.name}`);
  return column;
}

function encodeWithDictionary(input: SourceColumns, spec: FieldSpec, column: readonly Data<Utf8>[] | TextDictionary, keys: EncodingKeys): EncodedFieldResult {
  const dict = Array.isArray(column) ? dictionaryOfUtf8(column as readonly Data<Utf8>[]) : (column as TextDictionary);
  if (dict.codes.length !== input.size) throw new Error(`source ${input.name}, field ${spec.name}: ${dict.codes.length} rows, expected ${input.size}`);
  return encodeField(spec, dict, keys);
}

function assemble(input: SourceColumns, results: readonly EncodedFieldResult[]): EncodedSource {
  const encoded: EncodedField[] = [];
  let pseudonyms: Uint8Array | null = null;
  results.forEach((result, f) => {
    if (result.field.present.length !== input.size) throw new Error(`source ${input.name}, field ${f}: ${result.field.present.length} rows, expected ${input.size}`);
    encoded.push(result.field);
    if (result.pseudonyms !== null && pseudonyms === null) pseudonyms = result.pseudonyms;
  });
  return { name: input.name, size: input.size, unique: input.unique, fields: encoded, pseudonyms };
}
