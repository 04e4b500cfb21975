/**
 * Encodes every linkage field of one source into an `EncodedSource`: keyed tokens, keyed Bloom
 * filters and linkage pseudonyms, with per-field null and invalid counts. The caller hands in
 * the source's columns (Arrow Utf8 chunks or dictionaries) and drops them afterwards; nothing
 * textual survives in the result.
 */
import type { Data, Utf8 } from 'apache-arrow';
import type { FieldType } from '../model.js';
import type { EncodedField, EncodedSource } from '../link/encoded-source.js';
import { dictionaryOfUtf8, type TextDictionary } from './encode-dictionary.js';
import { encodeField, type EncodingKeys, type FieldSpec } from './encode-field.js';
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
  const encoded: EncodedField[] = [];
  let pseudonyms: Uint8Array | null = null;
  for (const spec of fields) {
    const column = input.columns.get(spec.name);
    if (column === undefined) throw new Error(`source ${input.name} has no column for field ${spec.name}`);
    const dict = Array.isArray(column) ? dictionaryOfUtf8(column as readonly Data<Utf8>[]) : (column as TextDictionary);
    if (dict.codes.length !== input.size) throw new Error(`source ${input.name}, field ${spec.name}: ${dict.codes.length} rows, expected ${input.size}`);
    const result = encodeField(spec, dict, keys);
    encoded.push(result.field);
    if (result.pseudonyms !== null && pseudonyms === null) pseudonyms = result.pseudonyms;
  }
  return { name: input.name, size: input.size, unique: input.unique, fields: encoded, pseudonyms };
}
