/**
 * Table specifications (issue 12): what an operator registers over a project. The route's JSON
 * schema checks shapes; this checks meaning against the project and its job, and names the
 * field at fault (KOPPEL_ERR_SCHEMA_TABLE_INVALID, 400):
 *
 *  - the source is a job of the project and the dataset one of that job's; or an approved
 *    release of the project (404, 409 or 410 otherwise) that holds a file of the dataset and
 *    carries every variable the table names;
 *  - every dimension is `period` or an attribute the project approves for that dataset, with
 *    at most one generalisation and a well-formed hierarchy;
 *  - sums and means name an approved numeric value column; counts name none;
 *  - a unit identifier (contributors that are employers, say) is an approved attribute of the
 *    dataset; it is used only in memory as a contributor code and never written anywhere;
 *  - the policy's rules are in range; an open-data table names its licence and publisher.
 */
import { KoppelError } from '../errors.js';
import type { Principal } from '../model.js';
import { hierarchyProblems } from '../release/hierarchy.js';
import type { DimensionSpec } from '../release/tables/table-dimensions.js';
import { DEFAULT_TABLE_POLICY, policyProblems, type SuppressionPolicy } from '../release/tables/primary-suppression.js';
import type { TableMeasure } from '../release/tables/suppress-table.js';
import type { ProjectRecord, TableSpecRecord } from '../store/index.js';
import type { PipelineContext } from './context.js';
import type { JobSettings } from './jobs.js';
import { recordAudit } from './audit.js';
import { approvedReleaseOf, releaseVariables, type TableUses } from './table-release-source.js';

export interface TablePolicyBody {
  readonly min_frequency?: number;
  readonly dominance?: { readonly n: number; readonly k: number } | null;
  readonly p_percent?: number | null;
  readonly zero_cells?: 'publish' | 'suppress';
}

export interface DcatBody {
  readonly title?: string;
  readonly description?: string;
  readonly licence: string;
  readonly publisher: string;
  readonly spatial?: string;
  readonly temporal?: { readonly start: string; readonly end: string };
  readonly keywords?: readonly string[];
}

export interface TableSpecBody {
  readonly name: string;
  readonly title: string;
  readonly description?: string;
  /** A job of the project, or an approved release of it (table-release-source.ts). */
  readonly source: { readonly job: string } | { readonly release: string };
  readonly dataset: string;
  readonly dimensions: readonly DimensionSpec[];
  readonly measure: TableMeasure;
  readonly value?: string;
  readonly unit?: string;
  readonly policy?: TablePolicyBody;
  readonly loss?: 'cells' | 'value';
  readonly open_data?: boolean;
  readonly dcat?: DcatBody;
}

/** The variable name of the delivery period, always available as a dimension. */
export const PERIOD_VARIABLE = 'period';

function invalid(field: string, message: string): KoppelError {
  return new KoppelError('KOPPEL_ERR_SCHEMA_TABLE_INVALID', `${field}: ${message}`, { field });
}

/** The dataset and the variables a specification reads, each with the field that names it. */
export function tableUses(body: TableSpecBody): TableUses {
  return {
    dataset: body.dataset,
    variables: [...body.dimensions.map((d, i) => [`dimensions[${i}].variable`, d.variable] as const), ['value', body.value], ['unit', body.unit]],
  };
}

export function enginePolicy(body: TablePolicyBody | undefined): SuppressionPolicy {
  return {
    minFrequency: body?.min_frequency ?? DEFAULT_TABLE_POLICY.minFrequency,
    dominance: body?.dominance === undefined ? DEFAULT_TABLE_POLICY.dominance : body.dominance,
    pPercent: body?.p_percent === undefined ? DEFAULT_TABLE_POLICY.pPercent : body.p_percent,
    zeroCells: body?.zero_cells ?? DEFAULT_TABLE_POLICY.zeroCells,
  };
}

/** Checks a specification's dimensions, measure, policy and open-data fields against the attributes it may use. */
export function tableSpecProblems(body: TableSpecBody, approved: readonly string[], numeric: (column: string) => boolean): KoppelError | null {
  const seen = new Set<string>();
  for (const [i, d] of body.dimensions.entries()) {
    const at = `dimensions[${i}]`;
    if (d.variable !== PERIOD_VARIABLE && !approved.includes(d.variable)) return invalid(`${at}.variable`, `${d.variable} is not an approved attribute of ${body.dataset} (nor ${PERIOD_VARIABLE})`);
    if (seen.has(d.variable)) return invalid(`${at}.variable`, `${d.variable} is already a dimension`);
    seen.add(d.variable);
    if ([d.band, d.prefix, d.groups].filter((g) => g !== undefined).length > 1) return invalid(at, 'give at most one of band, prefix and groups');
    if (d.band !== undefined && (d.variable === PERIOD_VARIABLE || !numeric(d.variable))) return invalid(`${at}.band`, `${d.variable} is not numeric`);
    const problems = d.hierarchy === undefined ? [] : hierarchyProblems(d.hierarchy);
    if (problems.length > 0) return invalid(`${at}.hierarchy`, problems.join('; '));
    if (d.categories !== undefined && new Set(d.categories).size !== d.categories.length) return invalid(`${at}.categories`, 'a category is listed twice');
  }
  const magnitude = body.measure === 'sum' || body.measure === 'mean';
  if (magnitude && body.value === undefined) return invalid('value', `a ${body.measure} table names its value column`);
  if (!magnitude && body.value !== undefined) return invalid('value', `a ${body.measure} table takes no value column`);
  if (body.value !== undefined && (!approved.includes(body.value) || !numeric(body.value))) return invalid('value', `${body.value} is not an approved numeric attribute of ${body.dataset}`);
  if (body.unit !== undefined) {
    if (!approved.includes(body.unit)) return invalid('unit', `${body.unit} is not an approved attribute of ${body.dataset}`);
    if (body.measure === 'persons') return invalid('unit', 'a persons table counts persons; use records, sum or mean with a unit');
  }
  const policy = policyProblems(enginePolicy(body.policy));
  if (policy.length > 0) return invalid('policy', policy.join('; '));
  if (body.open_data === true && body.dcat === undefined) return invalid('dcat', 'an open-data table needs its DCAT fields (licence and publisher at least)');
  return null;
}

function checkAgainstProject(ctx: PipelineContext, project: ProjectRecord, body: TableSpecBody): void {
  let approved: readonly string[];
  if ('release' in body.source) {
    approved = releaseVariables(approvedReleaseOf(ctx, project, body.source.release), tableUses(body));
  } else {
    const job = ctx.store.getJob(body.source.job);
    if (job === null || job.project_id !== project.id) throw invalid('source.job', `no job ${body.source.job} of project ${project.id}`);
    const datasets = new Set((job.settings as JobSettings).deliveries.map((id) => ctx.store.getDelivery(id)?.dataset));
    if (!datasets.has(body.dataset)) throw invalid('dataset', `job ${job.id} links no delivery of ${body.dataset}`);
    approved = project.approved[body.dataset] ?? [];
  }
  const schema = ctx.store.getDataset(body.dataset)?.schema;
  // A key variable the project generalises is released as text (a band, a prefix).
  const generalised = new Set(Object.keys(project.generalise ?? {}));
  const numeric = (column: string) => {
    const spec = schema?.columns.find((c) => c.name === column);
    return !('release' in body.source && generalised.has(column))
      && (['number', 'integer'].includes(spec?.type ?? '') || /^(birth_year|age_on)\(/.test(spec?.derive ?? ''));
  };
  const problem = tableSpecProblems(body, approved, numeric);
  if (problem !== null) throw problem;
}

export function registerTable(ctx: PipelineContext, principal: Principal, projectId: string, body: TableSpecBody): TableSpecRecord {
  const project = ctx.store.getProject(projectId);
  if (project === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no project ${projectId}`, { project: projectId });
  checkAgainstProject(ctx, project, body);
  const record = ctx.store.tables.createSpec(project.id, body.name, body, principal.id);
  recordAudit(ctx, { actor: principal.id, action: 'table.register', target: record.id, outcome: 'ok', detail: { project: project.id, name: body.name, open_data: body.open_data === true } });
  return record;
}

export function tableSpecOf(ctx: PipelineContext, tableId: string): { record: TableSpecRecord; body: TableSpecBody } {
  const record = ctx.store.tables.getSpec(tableId);
  if (record === null) throw new KoppelError('KOPPEL_ERR_RELEASE_TABLE_NOT_FOUND', `no table ${tableId}`, { table: tableId });
  return { record, body: record.spec as unknown as TableSpecBody };
}
