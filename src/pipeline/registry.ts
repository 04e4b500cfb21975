/** Dataset schemas and project authorisations: validated, stored, audited. */
import { KoppelError } from '../errors.js';
import type { Principal } from '../model.js';
import { validateDatasetSchema, validateProjectSpec } from './schema-validation.js';
import { validateIngestSchema } from '../ingest/index.js';
import { refuseKeyVariableCopies } from './key-provenance.js';
import type { DatasetRecord, ProjectRecord } from '../store/index.js';
import type { PipelineContext } from './context.js';
import { recordAudit } from './audit.js';

export function registerDataset(ctx: PipelineContext, principal: Principal, body: unknown): DatasetRecord {
  const schema = validateDatasetSchema(body);
  validateIngestSchema(schema);
  const record = ctx.store.createDataset(schema, principal.id);
  recordAudit(ctx, {
    actor: principal.id, action: 'dataset.register', target: schema.name, outcome: 'ok',
    detail: { supplier: schema.supplier, columns: schema.columns.length },
  });
  return record;
}

export function listDatasetsFor(ctx: PipelineContext, principal: Principal): DatasetRecord[] {
  const all = ctx.store.listDatasets();
  return principal.role === 'operator' ? all : all.filter((d) => d.supplier === principal.name);
}

export function registerProject(ctx: PipelineContext, principal: Principal, body: unknown): ProjectRecord {
  const datasets = (name: string) => ctx.store.getDataset(name)?.schema ?? null;
  const spec = validateProjectSpec(body, datasets);
  refuseKeyVariableCopies(spec, datasets);
  const record = ctx.store.createProject(spec, principal.id);
  recordAudit(ctx, {
    actor: principal.id, action: 'project.register', target: record.id, outcome: 'ok',
    detail: {
      datasets: Object.keys(spec.approved), key_variables: [...spec.key_variables], k: spec.k, valid_from: spec.valid_from, valid_to: spec.valid_to,
      longitudinal: spec.longitudinal === true,
    },
  });
  return record;
}

export function readProject(ctx: PipelineContext, id: string): ProjectRecord {
  const project = ctx.store.getProject(id);
  if (project === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no project ${id}`, { project: id });
  return project;
}
