/**
 * Closing the key variables at project registration (issue 10): an approved non-key attribute
 * that is computed from the same source column as a key variable, or is that column, would
 * carry the key variable's information into `<dataset>.arrow` past disclosure control
 * (`age_on(geboortedatum, ...)` next to key `birth_year(geboortedatum)`).
 *
 * The source of every attribute comes from the dataset schemas' recorded provenance, for any
 * derivation ingest knows (`parseDerivation`), never from a list of function names:
 *  - a derived attribute's source is the column its `derive` names (then resolved as below);
 *  - the national-number column is one source across all datasets (`national_id`): it is the
 *    same person's number wherever it is delivered;
 *  - a linkage column is one source per field type across datasets (`linkage:date`): that is
 *    how a job compares them, as the same property of a person;
 *  - any other column is its own source (`<dataset>.<column>`).
 */
import { KoppelError } from '../errors.js';
import type { ColumnSpec, DatasetSchema, ProjectSpec } from '../model.js';
import { validateDerivations, type Derivation } from '../ingest/index.js';

/** The provenance identity of one column of a dataset (see the module comment). */
export function sourceOf(column: ColumnSpec, schema: DatasetSchema, derivations: ReadonlyMap<string, Derivation> = validateDerivations(schema)): string {
  const derivation = derivations.get(column.name);
  if (derivation !== undefined) {
    const source = schema.columns.find((c) => c.name === derivation.source);
    if (source !== undefined && !derivations.has(source.name)) return sourceOf(source, schema, derivations);
    return `${schema.name}.${derivation.source}`;
  }
  if (column.role === 'national_id') return 'national_id';
  if (column.role === 'linkage') return `linkage:${column.type ?? 'text'}`;
  return `${schema.name}.${column.name}`;
}

interface KeyCopy { dataset: string; attribute: string; key_variable: string; source: string }

/** Every approved non-key attribute that shares its source with a key variable. */
export function keyVariableCopies(spec: ProjectSpec, datasets: (name: string) => DatasetSchema | null): KeyCopy[] {
  const keys = new Set(spec.key_variables);
  const approvedColumns: { dataset: string; attribute: string; source: string }[] = [];
  for (const [dataset, attributes] of Object.entries(spec.approved)) {
    const schema = datasets(dataset);
    if (schema === null) continue;
    const derivations = validateDerivations(schema);
    for (const attribute of attributes) {
      const column = schema.columns.find((c) => c.name === attribute);
      if (column !== undefined) approvedColumns.push({ dataset, attribute, source: sourceOf(column, schema, derivations) });
    }
  }
  const keySources = new Map<string, string>();
  for (const c of approvedColumns) if (keys.has(c.attribute) && !keySources.has(c.source)) keySources.set(c.source, c.attribute);
  const copies: KeyCopy[] = [];
  for (const c of approvedColumns) {
    const key = keySources.get(c.source);
    if (key !== undefined && !keys.has(c.attribute)) copies.push({ dataset: c.dataset, attribute: c.attribute, key_variable: key, source: c.source });
  }
  return copies;
}

/** Throws KOPPEL_ERR_SCHEMA_KEY_VARIABLE_COPY naming each attribute, its key variable and their source. */
export function refuseKeyVariableCopies(spec: ProjectSpec, datasets: (name: string) => DatasetSchema | null): void {
  const copies = keyVariableCopies(spec, datasets);
  if (copies.length === 0) return;
  const list = copies.map((c) => `${c.dataset}.${c.attribute} comes from ${c.source}, the source of key variable ${c.key_variable}`);
  throw new KoppelError('KOPPEL_ERR_SCHEMA_KEY_VARIABLE_COPY', `approved non-key attributes would carry key variables: ${list.join('; ')}; declare them key variables or leave them out`, {
    attributes: copies.map((c) => `${c.dataset}.${c.attribute}`),
    key_variables: copies.map((c) => c.key_variable),
  });
}
