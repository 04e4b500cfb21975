/**
 * What the ingest stage needs from a dataset schema, checked and compiled once per delivery
 * (and usable at registration: `validateIngestSchema`). Every problem is collected, then thrown
 * as one KOPPEL_ERR_SCHEMA_INVALID whose details list them.
 */
import { KoppelError } from '../errors.js';
import { ATTRIBUTE_TYPES, COLUMN_ROLES, type AttributeType, type ColumnSpec, type DatasetSchema } from '../model.js';
import { CodeSet } from './attribute-kernels.js';
import { compileDateFormat, type DateFormat } from './date-format.js';
import { isDateColumn, parseDerivation, type Derivation } from './derivations.js';

export interface AttributePlan {
  readonly name: string;
  readonly type: AttributeType;
  readonly required: boolean;
}

export interface IngestPlan {
  /** Columns the file must carry (every non-derived column), in schema order. */
  readonly fileColumns: readonly string[];
  readonly nationalId: string | null;
  readonly linkage: readonly ColumnSpec[];
  /** Attributes read from the file. */
  readonly attributes: readonly AttributePlan[];
  readonly derived: readonly { name: string; derivation: Derivation }[];
  /** Compiled formats of date attributes and of date columns that derivations read. */
  readonly dateFormats: ReadonlyMap<string, DateFormat>;
  readonly codeSets: ReadonlyMap<string, CodeSet>;
}

const DEFAULT_DATE_FORMAT = 'YYYY-MM-DD';

export function compileIngestSchema(schema: DatasetSchema): IngestPlan {
  const problems: string[] = [];
  const columns = Array.isArray(schema.columns) ? schema.columns : [];
  if (columns.length === 0) problems.push('the schema has no columns');
  const seen = new Set<string>();
  for (const col of columns) {
    if (typeof col.name !== 'string' || col.name.trim().length === 0) problems.push('a column has no name');
    else if (col.name !== col.name.trim()) problems.push(`column "${col.name.trim()}": name has surrounding spaces`);
    else if (seen.has(col.name)) problems.push(`column "${col.name}" is declared twice`);
    seen.add(col.name);
    if (!COLUMN_ROLES.includes(col.role)) problems.push(`column "${col.name}": unknown role`);
  }
  const ids = columns.filter((c) => c.role === 'national_id');
  if (ids.length > 1) problems.push(`only one national_id column is allowed (found ${ids.length})`);

  const dateFormats = new Map<string, DateFormat>();
  const codeSets = new Map<string, CodeSet>();
  const attributes: AttributePlan[] = [];
  const derived: { name: string; derivation: Derivation }[] = [];
  for (const col of columns) {
    if (col.derive !== undefined) {
      const d = parseDerivation(col, schema);
      if (typeof d === 'string') problems.push(d);
      else derived.push({ name: col.name, derivation: d });
      continue;
    }
    if (col.role === 'attribute') {
      const type = (col.type ?? 'string') as AttributeType;
      if (!ATTRIBUTE_TYPES.includes(type)) {
        problems.push(`column "${col.name}": unknown attribute type (known: ${ATTRIBUTE_TYPES.join(', ')})`);
        continue;
      }
      attributes.push({ name: col.name, type, required: col.required === true });
      if (type === 'code' && col.codes !== undefined) {
        if (!Array.isArray(col.codes) || (col.codes as readonly unknown[]).some((c) => typeof c !== 'string')) problems.push(`column "${col.name}": codes must be strings`);
        else codeSets.set(col.name, new CodeSet(col.codes));
      }
    }
    if (isDateColumn(col)) {
      try {
        dateFormats.set(col.name, compileDateFormat(col.format ?? DEFAULT_DATE_FORMAT, `column "${col.name}"`));
      } catch (err) {
        problems.push(...(((err as KoppelError).details?.problems as string[] | undefined) ?? [String(err)]));
      }
    }
  }
  if (problems.length > 0) {
    throw new KoppelError('KOPPEL_ERR_SCHEMA_INVALID', `Dataset "${schema.name}" cannot be ingested: ${problems.join('; ')}.`, { problems });
  }
  return {
    fileColumns: columns.filter((c) => c.derive === undefined).map((c) => c.name),
    nationalId: ids.length === 1 ? ids[0].name : null,
    linkage: columns.filter((c) => c.role === 'linkage' && c.derive === undefined),
    attributes,
    derived,
    dateFormats,
    codeSets,
  };
}

/** Check at registration time everything ingest will rely on. Throws KOPPEL_ERR_SCHEMA_INVALID. */
export function validateIngestSchema(schema: DatasetSchema): void {
  compileIngestSchema(schema);
}
