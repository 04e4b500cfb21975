/**
 * The shapes that cross layers: dataset schemas, project authorisations, periods, principals.
 * Validation of these shapes from untrusted JSON lives in `schema-validation.ts`.
 */

/** Field types shared by dataset schemas (`role: linkage`) and `koppel link` job files. */
export const FIELD_TYPES = [
  'national_id', 'given_name', 'surname', 'name', 'date', 'sex',
  'postcode', 'municipality', 'text', 'code', 'number',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export const COLUMN_ROLES = ['national_id', 'linkage', 'attribute', 'drop'] as const;
export type ColumnRole = (typeof COLUMN_ROLES)[number];

/** Attribute value types as stored in payload.arrow. */
export const ATTRIBUTE_TYPES = ['string', 'number', 'integer', 'date', 'code'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

/**
 * One column of a supplier's extract.
 * - `national_id`: the INSZ/BIS column; becomes the linkage pseudonym; never stored.
 * - `linkage`: kept only as keyed encodings (`type` is a FieldType; `format` for dates).
 * - `attribute`: payload; `type` is an AttributeType (default `string`); may carry `unit` and
 *   `codes` (the allowed values of a code list). An attribute with `derive` is not read from the
 *   file but computed at ingest from another column, e.g. `birth_year(geboortedatum)`,
 *   `sex(insz)`, `age_on(geboortedatum, 2024-01-01)`.
 * - `drop`: read and discarded.
 */
export interface ColumnSpec {
  readonly name: string;
  readonly role: ColumnRole;
  readonly type?: string;
  readonly format?: string;
  readonly unit?: string;
  readonly codes?: readonly string[];
  readonly derive?: string;
  readonly required?: boolean;
}

export type Schedule = 'yearly' | 'quarterly' | 'monthly' | 'adhoc';

export interface DatasetSchema {
  readonly name: string;
  readonly supplier: string;
  readonly schedule: Schedule;
  /**
   * Days after a period ends by which its delivery is due (pipeline/periods.ts has the defaults
   * per schedule); `adhoc` datasets have no due day.
   */
  readonly due_days?: number;
  /** The first period a delivery is expected for; default the period of the registration day. */
  readonly expected_from?: string;
  readonly description?: string;
  readonly columns: readonly ColumnSpec[];
}

export interface ProjectSpec {
  readonly title: string;
  readonly purpose: string;
  readonly legal_basis: string;
  readonly valid_from: string; // YYYY-MM-DD
  readonly valid_to: string; // YYYY-MM-DD
  readonly researchers: readonly string[]; // "researcher:<name>"
  /** dataset name -> attribute names the authorisation approves for release. */
  readonly approved: Readonly<Record<string, readonly string[]>>;
  /** Released attributes an attacker could know; each combination must occur >= k times. */
  readonly key_variables: readonly string[];
  readonly k: number;
  /**
   * Recoding of key variables before suppression: numbers into bands (`{ "band": 5 }`), codes
   * into a prefix (`{ "prefix": 2 }`: NIS municipality -> arrondissement).
   */
  readonly generalise?: Readonly<Record<string, { readonly band: number } | { readonly prefix: number }>>;
  /**
   * Generalisation hierarchies searched for the least information loss (each ends in `*`); a
   * key variable named here may not also be in `generalise`, which fixes a level instead.
   */
  readonly hierarchies?: Readonly<Record<string, HierarchySpec>>;
  /** Share of persons that may lose values to local suppression; default 0.01. */
  readonly suppression_limit?: number;
  /** l-diversity: every group of key values holds >= l distinct values of this attribute. */
  readonly sensitive?: { readonly attribute: string; readonly l: number };
  /**
   * Longitudinal research that must join its releases over time: the project's releases then
   * share one release key (`release:<project id>`), hence pseudonyms. Default false: every
   * release gets its own key (`release:<project id>:<release id>`) and cannot be joined.
   */
  readonly longitudinal?: boolean;
  /** How linkage metadata reaches a release (README "Release layout"); safe defaults. */
  readonly release_metadata?: ReleaseMetadataPolicy;
}

/**
 * A recurrent product (issue 13): a project's saved job and release settings with a schedule.
 * When every delivery it needs for a period has arrived, Koppel runs the job and builds the
 * release draft itself (pipeline/product-runs.ts).
 */
export interface ProductSpec {
  readonly name: string;
  /** Its periods; every dataset's schedule is as fine or finer (monthly deliveries fill a quarter). */
  readonly schedule: Exclude<Schedule, 'adhoc'>;
  /** The datasets whose deliveries a period needs; each approved by the project. */
  readonly datasets: readonly string[];
  /** The first period it runs for (spelt as its schedule's periods). */
  readonly from: string;
  /** The job body's settings (POST /v1/projects/{project}/jobs) without `deliveries`. */
  readonly job: {
    readonly fields?: readonly { name: string; type: string }[];
    readonly columns?: Readonly<Record<string, Readonly<Record<string, string>>>>;
    readonly unique?: Readonly<Record<string, boolean>>;
    readonly blocking?: readonly (string | readonly string[])[];
    readonly threshold?: number;
    /** Where the pair stage runs (link/link-engine.ts `LINK_ENGINE_NAMES`); default in-process. */
    readonly engine?: 'in-process' | 'duckdb';
  };
  /** The release build's options (POST /v1/jobs/{id}/releases). */
  readonly release: { readonly justification?: string };
}

/**
 * - `match_probability`: `bands` (default) releases each person's least certain link as a coarse
 *   band in `persons`, counted as a key variable; `omit` leaves it out.
 * - `link_method`: `omit` (default) or `key` (each person's least certain method, in `persons`,
 *   counted as a key variable).
 * - `period_pattern`: `key` (default: the set of periods a person has rows in, in `persons`,
 *   counted as a key variable; where it is suppressed, the person's rows carry no period) or
 *   `omit` (no period pattern and no `period` column at all).
 */
export interface ReleaseMetadataPolicy {
  readonly match_probability?: 'bands' | 'omit';
  readonly link_method?: 'key' | 'omit';
  readonly period_pattern?: 'key' | 'omit';
}

/** Levels of a key variable's hierarchy above its value (release/hierarchy.ts). */
export type HierarchySpec =
  | { readonly bands: readonly number[] }
  | { readonly prefixes: readonly number[] }
  | { readonly groups: readonly Readonly<Record<string, string>>[] };

/**
 * `system` is Koppel itself: the principal that runs a recurrent product's job and builds its
 * release draft (`system:koppel`). It never holds a token: `canonicalPrincipal` refuses it, so no
 * token can be made for it, no stored token can name it and no route admits it. `reviewer` reads
 * a job's clerical review queue and decides its pairs, nothing else.
 */
export type Role = 'operator' | 'supplier' | 'researcher' | 'reviewer' | 'system';

export interface Principal {
  readonly role: Role;
  readonly name: string;
  /** `role:name`, the form stored and audited. */
  readonly id: string;
}

/** Koppel's own principal (see `Role`); it acts only inside the server, audited under this id. */
export const SYSTEM_PRINCIPAL: Principal = Object.freeze({ role: 'system', name: 'koppel', id: 'system:koppel' });

/** Names of principals as written: letters, digits, `.`, `_`, `-`; compared case-insensitively. */
export const PRINCIPAL_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const PRINCIPAL_TEXT = /^(operator|supplier|researcher|reviewer):([A-Za-z0-9._-]{1,64})$/;

/**
 * The one form in which a principal is stored and compared: `role:name` in lower case, after
 * trimming and Unicode NFKC. `operator:Ops` and `operator:ops` are one person, so four-eyes
 * and ownership checks cannot be passed by a change of case. Null when the text is not a
 * principal that may hold a token: `system:koppel` (and any `system:` name) is null here.
 */
export function canonicalPrincipal(text: string): string | null {
  const folded = text.trim().normalize('NFKC').toLowerCase();
  return PRINCIPAL_TEXT.test(folded) ? folded : null;
}

/** A principal name (the part after the colon) in its stored form. */
export function canonicalPrincipalName(name: string): string {
  return name.trim().normalize('NFKC').toLowerCase();
}

/** A reference period: `2024`, `2024Q1` or `2024-03`. */
export const PERIOD_PATTERN = /^(\d{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))?$/;

export function isPeriod(value: string): boolean {
  return PERIOD_PATTERN.test(value);
}
