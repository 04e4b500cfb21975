/** Encodes small hand-written sources for the engine's unit tests (fixed key, in memory). */
import type { FieldType } from '../../../src/model.js';
import { dictionaryOfStrings } from '../../../src/pseudonymise/encode-dictionary.js';
import { encodeSource, encodingKeysFrom } from '../../../src/pseudonymise/encode-source.js';
import type { EncodedSource } from '../../../src/link/encoded-source.js';

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
  const check = 97 - ((y >= 2000 ? 2_000_000_000 : 0) + Number(body)) % 97;
  return body + String(check).padStart(2, '0');
}
