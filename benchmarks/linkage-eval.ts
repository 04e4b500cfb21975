/**
 * Scores a linkage against ground truth, and runs the engine straight on generated rows (no
 * files) so the benchmark and the integration tests measure the engine itself.
 */
import { randomBytes } from 'node:crypto';
import type { FieldType } from '../src/model.js';
import { dictionaryOfStrings } from '../src/pseudonymise/encode-dictionary.js';
import type { FieldSpec } from '../src/pseudonymise/encode-field.js';
import { encodeSource, encodingKeysFrom } from '../src/pseudonymise/encode-source.js';
import { linkRecords, type LinkResult } from '../src/link/link-records.js';
import { linkSettings, type LinkSettings } from '../src/link/link-settings.js';

export interface Quality { precision: number; recall: number; f1: number; truePositives: number; links: number; truePairs: number }

/** Precision, recall and F1 of predicted pairs against true pairs (both as `left|right` keys). */
export function quality(predicted: Iterable<string>, truth: ReadonlySet<string>): Quality {
  let tp = 0; let n = 0;
  for (const p of predicted) { n++; if (truth.has(p)) tp++; }
  const precision = n === 0 ? 1 : tp / n;
  const recall = truth.size === 0 ? 1 : tp / truth.size;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, truePositives: tp, links: n, truePairs: truth.size };
}

export interface RowSource {
  readonly name: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly idColumn: string;
  readonly unique?: boolean;
}

/** Encodes generated rows with a fresh key and links them; returns the result and row ids. */
export function linkRows(
  sources: readonly RowSource[],
  fields: readonly { name: string; type: string; format?: string }[],
  overrides: Partial<LinkSettings> = {},
): { result: LinkResult; ids: string[][]; encodeMs: number } {
  const t0 = performance.now();
  const keys = encodingKeysFrom(randomBytes(32));
  const specs: FieldSpec[] = fields.map((f) => ({ name: f.name, type: f.type as FieldType, format: f.format }));
  const encoded = sources.map((src) => {
    const columns = new Map<string, ReturnType<typeof dictionaryOfStrings>>();
    for (const f of specs) {
      const c = src.header.indexOf(f.name);
      columns.set(f.name, dictionaryOfStrings(src.rows.map((r) => r[c])));
    }
    return encodeSource({ name: src.name, unique: src.unique ?? true, size: src.rows.length, columns }, specs, keys);
  });
  const encodeMs = performance.now() - t0;
  const result = linkRecords(encoded, linkSettings(overrides));
  const ids = sources.map((src) => { const c = src.header.indexOf(src.idColumn); return src.rows.map((r) => r[c].trim()); });
  return { result, ids, encodeMs };
}

/** The links of a result as `leftSource|leftId|rightSource|rightId` keys. */
export function linkKeys(result: LinkResult, names: readonly string[], ids: readonly string[][]): string[] {
  const { offsets, links } = result;
  const locate = (g: number) => { let s = 0; while (offsets[s + 1] <= g) s++; return [s, g - offsets[s]] as const; };
  const out: string[] = [];
  for (let i = 0; i < links.length; i++) {
    const [ls, la] = locate(links.left[i]);
    const [rs, rb] = locate(links.right[i]);
    out.push(`${names[ls]}|${ids[ls][la]}|${names[rs]}|${ids[rs][rb]}`);
  }
  return out;
}
