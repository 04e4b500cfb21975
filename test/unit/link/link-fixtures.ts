/** Encodes small hand-written sources for the engine's unit tests (fixed key, in memory). */
import type { FieldType } from '../../../src/model.js';
import { dictionaryOfStrings } from '../../../src/pseudonymise/encode-dictionary.js';
import { encodeSource, encodingKeysFrom } from '../../../src/pseudonymise/encode-source.js';
import type { EncodedSource } from '../../../src/pseudonymise/encoded-source.js';
import { BELGIAN_JOB_FIELDS, generateBelgian, type BelgianData } from '../../../benchmarks/data/belgian.js';
import { inszCheckDigits } from '../../../src/ingest/insz.js';

export interface TestField { name: string; type: FieldType; format?: string }
export type Row = Record<string, string | null>;

export const MASTER = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);

export function encodeRows(sources: readonly { name: string; rows: readonly Row[]; unique?: boolean }[], fields: readonly TestField[]): EncodedSource[] {
  const keys = encodingKeysFrom(MASTER);
  return sources.map((s) => encodeSource({
    name: s.name,
    unique: s.unique ?? true,
    size: s.rows.length,
    columns: new Map(fields.map((f) => [f.name, dictionaryOfStrings(s.rows.map((r) => r[f.name] ?? null))])),
  }, fields, keys));
}

/** A valid INSZ for a birth date and serial (tests only). */
export function insz(y: number, m: number, d: number, serial: number): string {
  const body = `${String(y % 100).padStart(2, '0')}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}${String(serial).padStart(3, '0')}`;
  return body + inszCheckDigits(body, y >= 2000);
}

/**
 * Belgian-style generated sources, encoded on every field but the national number (so the
 * probabilistic machinery has the whole population to work on).
 */
export function encodedBelgianWithoutNationalIds(people: number, seed: number): { sources: EncodedSource[]; data: BelgianData } {
  const data = generateBelgian({ people, seed, badNationalIds: 1 });
  const fields = BELGIAN_JOB_FIELDS.filter((f) => f.type !== 'national_id') as unknown as TestField[];
  const header = data.sources[0].header;
  const sources = encodeRows(data.sources.map((s) => ({
    name: s.name, rows: s.rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))),
  })), fields);
  return { sources, data };
}
