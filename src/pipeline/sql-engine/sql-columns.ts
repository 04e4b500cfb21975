/**
 * The relational shape of the keyed encodings, as the SQL plan sees them. One row per record:
 *
 * ```
 * raw (loaded as is)              rec (derived by SQL)
 * g, s, r        INTEGER          g, s, r           global number, source, record in source
 * f{f}_p         UTINYINT         f{f}_p            1 = value present and valid
 * f{f}_t{t}_lo/hi UINTEGER        f{f}_t{t} UBIGINT token of slot t (NULL: absent)
 * f{f}_w{i}      UINTEGER         f{f}_b{j} UBIGINT Bloom filter in 64-bit words (j = i / 2)
 * f{f}_pop       USMALLINT        f{f}_pop          the filter's popcount
 * pn{i}          UINTEGER         pn{j}     UBIGINT the 32-byte linkage pseudonym (national id)
 * ```
 * Column names are built from field and slot numbers only: no name from a job or an input file
 * ever reaches SQL text.
 */
import { TOKEN_SLOTS, type EncodedSource } from '../../pseudonymise/encoded-source.js';

/** What the plan needs to know of the sources' fields (types, slots, filter sizes). */
export interface RecordShape {
  readonly fields: readonly { readonly type: keyof typeof TOKEN_SLOTS; readonly slots: number; readonly bloomWords: number }[];
  /** The national-id field compares and groups on the full 32-byte pseudonyms. */
  readonly pseudonyms: boolean;
}

export function recordShape(sources: readonly EncodedSource[]): RecordShape {
  const first = sources[0];
  return {
    fields: first.fields.map((f) => ({ type: f.type, slots: f.slots, bloomWords: f.bloom === null ? 0 : f.bloomWords })),
    pseudonyms: sources.every((s) => s.pseudonyms !== null),
  };
}

/** The columns (of `rec`) whose equality is equality of token slot `slot` of field `field`. */
export function keyColumns(shape: RecordShape, field: number, slot: number): string[] {
  if (shape.fields[field].type === 'national_id' && slot === 0 && shape.pseudonyms) return ['pn0', 'pn1', 'pn2', 'pn3'];
  return [`f${field}_t${slot}`];
}

/** The SELECT list deriving `rec` from `raw`: 64-bit tokens and filter words, NULL for absent tokens. */
export function derivedColumns(shape: RecordShape): string[] {
  const out = ['g', 's', 'r'];
  shape.fields.forEach((f, i) => {
    out.push(`f${i}_p`);
    for (let t = 0; t < f.slots; t++) {
      const lo = `f${i}_t${t}_lo`; const hi = `f${i}_t${t}_hi`;
      // (0, 0) marks an empty slot, as in the field index.
      out.push(`CASE WHEN f${i}_p = 1 AND (${lo} <> 0 OR ${hi} <> 0) THEN (${hi}::UBIGINT << 32) | ${lo}::UBIGINT END AS f${i}_t${t}`);
    }
    // Two 32-bit words make one 64-bit word; an odd last word stands alone.
    for (let j = 0; 2 * j < f.bloomWords; j++) {
      const hi = 2 * j + 1 < f.bloomWords ? `(f${i}_w${2 * j + 1}::UBIGINT << 32) | ` : '';
      out.push(`${hi}f${i}_w${2 * j}::UBIGINT AS f${i}_b${j}`);
    }
    if (f.bloomWords > 0) out.push(`f${i}_pop::INTEGER AS f${i}_pop`);
  });
  if (shape.pseudonyms) for (let j = 0; j < 4; j++) out.push(`(pn${2 * j + 1}::UBIGINT << 32) | pn${2 * j}::UBIGINT AS pn${j}`);
  return out;
}

/** `raw`'s columns in load order with their DuckDB type names. */
export function rawColumns(shape: RecordShape): { name: string; type: 'INTEGER' | 'UTINYINT' | 'UINTEGER' | 'USMALLINT' }[] {
  const out: { name: string; type: 'INTEGER' | 'UTINYINT' | 'UINTEGER' | 'USMALLINT' }[] = [
    { name: 'g', type: 'INTEGER' }, { name: 's', type: 'INTEGER' }, { name: 'r', type: 'INTEGER' },
  ];
  shape.fields.forEach((f, i) => {
    out.push({ name: `f${i}_p`, type: 'UTINYINT' });
    for (let t = 0; t < f.slots; t++) out.push({ name: `f${i}_t${t}_lo`, type: 'UINTEGER' }, { name: `f${i}_t${t}_hi`, type: 'UINTEGER' });
    for (let w = 0; w < f.bloomWords; w++) out.push({ name: `f${i}_w${w}`, type: 'UINTEGER' });
    if (f.bloomWords > 0) out.push({ name: `f${i}_pop`, type: 'USMALLINT' });
  });
  if (shape.pseudonyms) for (let w = 0; w < 8; w++) out.push({ name: `pn${w}`, type: 'UINTEGER' });
  return out;
}
