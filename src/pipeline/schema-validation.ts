/**
 * Semantic validation of dataset schemas and project authorisations arriving as JSON (from the
 * API or from files). The HTTP layer checks shapes with JSON Schema first; this module checks the
 * rules that span fields, and lists every problem in one KOPPEL_ERR_SCHEMA_INVALID.
 */
import { KoppelError } from '../errors.js';
import { disclosurePolicyProblems } from './disclosure-policy-validation.js';
import { scheduleOfPeriod, type PeriodicSchedule } from './periods.js';
import {
  ATTRIBUTE_TYPES, COLUMN_ROLES, FIELD_TYPES, PRINCIPAL_NAME_PATTERN, canonicalPrincipal, canonicalPrincipalName, isPeriod,
  type DatasetSchema, type ProjectSpec, type ReleaseMetadataPolicy,
} from '../model.js';

export const NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const DATE_FORMAT_PATTERN = /^(?=.*YYYY)(?=.*MM)(?=.*DD)(?:YYYY|MM|DD|[^A-Za-z0-9])+$/;
const SCHEDULES = new Set(['yearly', 'quarterly', 'monthly', 'adhoc']);

function fail(what: string, problems: string[]): never {
  throw new KoppelError('KOPPEL_ERR_SCHEMA_INVALID', `invalid ${what}: ${problems.join('; ')}`, { problems });
}

export function isIsoDate(value: unknown): value is string {
  if (typeof value !== 'string' || !DATE_PATTERN.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(value);
}

export function validateDatasetSchema(input: unknown): DatasetSchema {
  const problems: string[] = [];
  const s = input as Partial<DatasetSchema> | null;
  if (typeof s !== 'object' || s === null) fail('dataset schema', ['the body must be a JSON object']);
  if (typeof s.name !== 'string' || !NAME_PATTERN.test(s.name)) problems.push('name must be lowercase letters, digits and underscores, starting with a letter');
  if (typeof s.supplier !== 'string' || !PRINCIPAL_NAME_PATTERN.test(s.supplier.trim())) problems.push('supplier must be the supplier principal\'s name (letters, digits, . _ -)');
  if (typeof s.schedule !== 'string' || !SCHEDULES.has(s.schedule)) problems.push(`schedule must be one of ${[...SCHEDULES].join(', ')}`);
  else problems.push(...dueRuleProblems(s));
  if (!Array.isArray(s.columns) || s.columns.length === 0) {
    problems.push('columns must be a non-empty array');
    fail('dataset schema', problems);
  }
  const seen = new Set<string>();
  let nationalIds = 0;
  s.columns.forEach((c, i) => {
    const at = `columns[${i}]`;
    if (typeof c !== 'object' || c === null) { problems.push(`${at} must be an object`); return; }
    if (typeof c.name !== 'string' || c.name.trim() === '' || c.name.length > 128) problems.push(`${at}.name must be a non-empty string of at most 128 characters`);
    else if (seen.has(c.name)) problems.push(`${at}.name "${c.name}" is used twice`);
    else seen.add(c.name);
    if (!(COLUMN_ROLES as readonly string[]).includes(c.role)) { problems.push(`${at}.role must be one of ${COLUMN_ROLES.join(', ')}`); return; }
    if (c.role === 'national_id') nationalIds += 1;
    if (c.role === 'linkage') {
      if (!(FIELD_TYPES as readonly string[]).includes(c.type ?? '') || c.type === 'national_id') problems.push(`${at} (${c.name}): a linkage column needs a type, one of ${FIELD_TYPES.filter((t) => t !== 'national_id').join(', ')}`);
      if (c.type === 'date' && (typeof c.format !== 'string' || !DATE_FORMAT_PATTERN.test(c.format))) problems.push(`${at} (${c.name}): a date needs a format built from YYYY, MM, DD and separators`);
    }
    if (c.role === 'attribute') {
      if (c.type !== undefined && !(ATTRIBUTE_TYPES as readonly string[]).includes(c.type)) problems.push(`${at} (${c.name}): attribute type must be one of ${ATTRIBUTE_TYPES.join(', ')}`);
      if (c.type === 'date' && c.format !== undefined && !DATE_FORMAT_PATTERN.test(c.format)) problems.push(`${at} (${c.name}): date format must be built from YYYY, MM, DD and separators`);
      if (c.codes !== undefined && (!Array.isArray(c.codes) || (c.codes as unknown[]).some((v) => typeof v !== 'string'))) problems.push(`${at} (${c.name}): codes must be an array of strings`);
      if (c.derive !== undefined && typeof c.derive !== 'string') problems.push(`${at} (${c.name}): derive must be a string like birth_year(column)`);
    } else if (c.derive !== undefined) {
      problems.push(`${at} (${c.name}): only attributes can be derived`);
    }
  });
  if (nationalIds > 1) problems.push('at most one column may have role national_id');
  if (problems.length > 0) fail('dataset schema', problems);
  // Stored in the canonical form, so that ownership checks compare like with like.
  return { ...(s as DatasetSchema), supplier: canonicalPrincipalName(s.supplier as string) };
}

/**
 * The due rule beside a schedule: `due_days` after the period ends, expected from
 * `expected_from` (a period spelt as the schedule's periods are). An `adhoc` dataset has neither.
 */
function dueRuleProblems(s: Partial<DatasetSchema>): string[] {
  const problems: string[] = [];
  const adhoc = s.schedule === 'adhoc';
  if (s.due_days !== undefined) {
    if (adhoc) problems.push('due_days needs a periodic schedule (monthly, quarterly or yearly), not adhoc');
    else if (!Number.isInteger(s.due_days) || s.due_days < 0 || s.due_days > 366) problems.push('due_days must be an integer from 0 to 366');
  }
  if (s.expected_from !== undefined) {
    if (adhoc) problems.push('expected_from needs a periodic schedule (monthly, quarterly or yearly), not adhoc');
    else if (typeof s.expected_from !== 'string' || !isPeriod(s.expected_from) || Number(s.expected_from.slice(0, 4)) < 1900
      || scheduleOfPeriod(s.expected_from) !== s.schedule) {
      problems.push(`expected_from must be a ${s.schedule} period from 1900 on (${PERIOD_EXAMPLES[s.schedule as PeriodicSchedule]})`);
    }
  }
  return problems;
}

const PERIOD_EXAMPLES: Readonly<Record<PeriodicSchedule, string>> = { yearly: 'e.g. 2024', quarterly: 'e.g. 2024Q1', monthly: 'e.g. 2024-03' };

/** Attributes a dataset offers for release (read or derived). */
export function releasableAttributes(schema: DatasetSchema): string[] {
  return schema.columns.filter((c) => c.role === 'attribute').map((c) => c.name);
}

const METADATA_CHOICES: Readonly<Record<keyof ReleaseMetadataPolicy, readonly string[]>> = {
  match_probability: ['bands', 'omit'], link_method: ['key', 'omit'], period_pattern: ['key', 'omit'],
};

function releaseMetadataProblems(value: unknown): string[] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['release_metadata must be an object'];
  const problems: string[] = [];
  for (const [name, choice] of Object.entries(value)) {
    const allowed = METADATA_CHOICES[name as keyof ReleaseMetadataPolicy] as readonly string[] | undefined;
    if (allowed === undefined) problems.push(`release_metadata.${name} is not a metadata column (${Object.keys(METADATA_CHOICES).join(', ')})`);
    else if (!allowed.includes(choice as string)) problems.push(`release_metadata.${name} must be one of ${allowed.join(', ')}`);
  }
  return problems;
}

/**
 * `datasets` resolves a dataset name to its schema, so that approvals can be checked against
 * what the dataset really offers.
 */
export function validateProjectSpec(input: unknown, datasets: (name: string) => DatasetSchema | null): ProjectSpec {
  const problems: string[] = [];
  const p = input as Partial<ProjectSpec> | null;
  if (typeof p !== 'object' || p === null) fail('project', ['the body must be a JSON object']);
  for (const key of ['title', 'purpose', 'legal_basis'] as const) {
    if (typeof p[key] !== 'string' || p[key]!.trim() === '') problems.push(`${key} must be a non-empty string`);
  }
  if (!isIsoDate(p.valid_from)) problems.push('valid_from must be a date YYYY-MM-DD');
  if (!isIsoDate(p.valid_to)) problems.push('valid_to must be a date YYYY-MM-DD');
  if (isIsoDate(p.valid_from) && isIsoDate(p.valid_to) && p.valid_from > p.valid_to) problems.push('valid_from must not be after valid_to');
  if (!Array.isArray(p.researchers) || p.researchers.length === 0) problems.push('researchers must name at least one researcher:<name>');
  else p.researchers.forEach((r, i) => {
    if (typeof r !== 'string' || canonicalPrincipal(r)?.startsWith('researcher:') !== true) problems.push(`researchers[${i}] must be researcher:<name>`);
  });
  if (!Number.isInteger(p.k) || (p.k as number) < 2 || (p.k as number) > 1000) problems.push('k must be an integer from 2 to 1000');
  const offered = new Set<string>();
  if (typeof p.approved !== 'object' || p.approved === null || Array.isArray(p.approved) || Object.keys(p.approved).length === 0) {
    problems.push('approved must map at least one dataset to its approved attributes');
  } else {
    for (const [dataset, attributes] of Object.entries(p.approved)) {
      const schema = datasets(dataset);
      if (schema === null) { problems.push(`approved: unknown dataset "${dataset}"`); continue; }
      const releasable = new Set(releasableAttributes(schema));
      if (!Array.isArray(attributes)) { problems.push(`approved.${dataset} must be an array of attribute names`); continue; }
      for (const a of attributes) {
        if (typeof a !== 'string' || !releasable.has(a)) problems.push(`approved.${dataset}: "${String(a)}" is not an attribute of that dataset`);
        else offered.add(a);
      }
    }
  }
  if (!Array.isArray(p.key_variables)) problems.push('key_variables must be an array (it may be empty)');
  else p.key_variables.forEach((v, i) => {
    if (typeof v !== 'string' || !offered.has(v)) problems.push(`key_variables[${i}] must be an approved attribute`);
  });
  if (p.generalise !== undefined) {
    if (typeof p.generalise !== 'object' || p.generalise === null || Array.isArray(p.generalise)) problems.push('generalise must map key variables to { "band": n } or { "prefix": n }');
    else for (const [name, rule] of Object.entries(p.generalise)) {
      const r = rule as Record<string, unknown> | null;
      if (!Array.isArray(p.key_variables) || !p.key_variables.includes(name)) problems.push(`generalise.${name}: only key variables are generalised`);
      const keys = r === null || typeof r !== 'object' ? [] : Object.keys(r);
      const ok = keys.length === 1 && ((keys[0] === 'band' && Number.isInteger(r!.band) && (r!.band as number) >= 2 && (r!.band as number) <= 1000)
        || (keys[0] === 'prefix' && Number.isInteger(r!.prefix) && (r!.prefix as number) >= 1 && (r!.prefix as number) <= 6));
      if (!ok) problems.push(`generalise.${name} must be { "band": 2..1000 } or { "prefix": 1..6 }`);
    }
  }
  problems.push(...disclosurePolicyProblems(p, offered));
  if (p.longitudinal !== undefined && typeof p.longitudinal !== 'boolean') problems.push('longitudinal must be true or false');
  problems.push(...releaseMetadataProblems(p.release_metadata));
  if (problems.length > 0) fail('project', problems);
  // One entry per person, in the canonical form (`researcher:An` and `researcher:an` are one).
  return { ...(p as ProjectSpec), researchers: [...new Set((p.researchers as string[]).map((r) => canonicalPrincipal(r) as string))] };
}
