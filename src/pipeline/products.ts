/**
 * Recurrent products (issue 13): an operator saves a project's job and release settings with a
 * schedule; Koppel then runs them by itself for every period whose deliveries are all in
 * (product-runs.ts). Registering and changing are audited, and whoever registered or last
 * changed a product may not approve what it builds (product-four-eyes.ts).
 */
import { KoppelError } from '../errors.js';
import { isPeriod, type DatasetSchema, type Principal, type ProductSpec } from '../model.js';
import type { ProductRecord, ProductRunRecord, ProjectRecord } from '../store/index.js';
import { nowOf, type PipelineContext } from './context.js';
import { recordAudit } from './audit.js';
import { settingsProblems } from './job-schema.js';
import { dayOf, periodContaining, scheduleOfPeriod, type PeriodicSchedule } from './periods.js';
import { productShapeProblems } from './product-schema.js';
import { considerProduct } from './product-runs.js';

/** Months in one period of each schedule: a dataset's may not be more than its product's. */
const MONTHS: Readonly<Record<PeriodicSchedule, number>> = { monthly: 1, quarterly: 3, yearly: 12 };

function badProduct(problems: readonly string[]): never {
  throw new KoppelError('KOPPEL_ERR_SCHEMA_BAD_PRODUCT', `The product is invalid: ${problems.join('; ')}.`, { problems: problems.length });
}

function projectOf(ctx: PipelineContext, id: string): ProjectRecord {
  const project = ctx.store.getProject(id);
  if (project === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no project ${id}`, { project: id });
  return project;
}

/** Problems with the datasets: each registered, approved by the project, on a schedule that fits. */
function datasetProblems(ctx: PipelineContext, project: ProjectRecord, spec: ProductSpec): string[] {
  const problems: string[] = [];
  for (const name of spec.datasets) {
    const schema: DatasetSchema | undefined = ctx.store.getDataset(name)?.schema;
    if (schema === undefined) problems.push(`dataset ${name} is not registered`);
    else if (!(name in project.approved)) problems.push(`dataset ${name} is not approved for project ${project.id}`);
    else if (schema.schedule === 'adhoc') problems.push(`dataset ${name} is delivered ad hoc, so no period is ever complete`);
    else if (MONTHS[schema.schedule] > MONTHS[spec.schedule]) problems.push(`dataset ${name} is delivered ${schema.schedule}, less often than the product's ${spec.schedule} periods`);
  }
  return problems;
}

/** Problems with the job settings that span them (as a job body gets them) and the datasets. */
function jobProblems(spec: ProductSpec): string[] {
  const problems: string[] = [];
  const datasets = new Set(spec.datasets);
  for (const key of ['columns', 'unique'] as const) {
    for (const name of Object.keys(spec.job[key] ?? {})) if (!datasets.has(name)) problems.push(`job.${key} names dataset ${name}, which "datasets" does not list`);
  }
  if (spec.job.fields !== undefined) {
    const columns = new Map(Object.entries(spec.job.columns ?? {}).map(([dataset, map]) => [`job.columns.${dataset}`, map]));
    problems.push(...settingsProblems({ fields: spec.job.fields, blocking: spec.job.blocking ?? null, columns, dateFormats: false }));
  } else if (spec.job.blocking !== undefined || spec.job.columns !== undefined) {
    problems.push('job.blocking and job.columns name fields, so job.fields must define them');
  }
  return problems;
}

/** The settings, complete and checked, or KOPPEL_ERR_SCHEMA_BAD_PRODUCT listing every problem. */
function checkedSpec(ctx: PipelineContext, project: ProjectRecord, body: Record<string, unknown>, defaultFrom: string | null): ProductSpec {
  const shape = productShapeProblems(body, 'body');
  if (shape.length > 0) badProduct(shape);
  const given = body as Partial<ProductSpec> & Pick<ProductSpec, 'name' | 'schedule' | 'datasets'>;
  const from = given.from ?? defaultFrom ?? periodContaining(dayOf(nowOf(ctx)), given.schedule);
  const spec: ProductSpec = { name: given.name, schedule: given.schedule, datasets: given.datasets, from, job: given.job ?? {}, release: given.release ?? {} };
  const problems = datasetProblems(ctx, project, spec);
  if (!isPeriod(from) || scheduleOfPeriod(from) !== spec.schedule) problems.push(`from must be a ${spec.schedule} period (like ${periodContaining(dayOf(nowOf(ctx)), spec.schedule)})`);
  problems.push(...jobProblems(spec));
  if (problems.length > 0) badProduct(problems);
  return spec;
}

export function registerProduct(ctx: PipelineContext, principal: Principal, projectId: string, body: unknown): ProductRecord {
  const project = projectOf(ctx, projectId);
  const spec = checkedSpec(ctx, project, asObject(body), null);
  const product = ctx.store.products.create(project.id, spec, principal.id);
  recordAudit(ctx, {
    actor: principal.id, action: 'product.register', target: product.id, outcome: 'ok',
    detail: { project: project.id, schedule: spec.schedule, datasets: [...spec.datasets], from: spec.from },
  });
  considerProduct(ctx, product);
  return product;
}

/**
 * Changes a product: `replace` (PUT) takes a whole body, otherwise (PATCH) the settings named
 * replace the product's. The changer becomes its last changer: they may not approve what it
 * builds from now on. A period that failed under the old settings is tried again.
 */
export function changeProduct(ctx: PipelineContext, principal: Principal, id: string, body: unknown, replace: boolean): ProductRecord {
  const current = readProduct(ctx, id);
  const patch = asObject(body);
  if (!replace) {
    const shape = productShapeProblems(patch, 'patch');
    if (shape.length > 0) badProduct(shape);
  }
  const { name, schedule, datasets, from, job, release } = current;
  const merged = replace ? patch : { name, schedule, datasets, from, job, release, ...patch };
  const spec = checkedSpec(ctx, projectOf(ctx, current.project_id), merged, current.from);
  const product = ctx.store.products.update(id, spec, principal.id);
  recordAudit(ctx, {
    actor: principal.id, action: 'product.change', target: id, outcome: 'ok',
    detail: { project: product.project_id, version: product.version, changed: changedSettings(current, spec) },
  });
  considerProduct(ctx, product);
  return product;
}

function changedSettings(before: ProductSpec, after: ProductSpec): string[] {
  const keys = ['name', 'schedule', 'datasets', 'from', 'job', 'release'] as const;
  return keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) badProduct(['the body must be a JSON object']);
  return body as Record<string, unknown>;
}

export function readProduct(ctx: PipelineContext, id: string): ProductRecord {
  const product = ctx.store.products.get(id);
  if (product === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no product ${id}`, { product: id });
  return product;
}

export function listProducts(ctx: PipelineContext, projectId: string): ProductRecord[] {
  return ctx.store.products.list(projectOf(ctx, projectId).id);
}

/** A product's runs, each attempt with its status, job, release and why it failed. */
export function listProductRuns(ctx: PipelineContext, id: string): ProductRunRecord[] {
  return ctx.store.products.runs(readProduct(ctx, id).id);
}
