/**
 * Who sees which tables. Operators: every version, draft or not, and their files (a second
 * operator reviews a draft before approving it). A researcher: the published versions of its
 * projects' tables, and their files within the project's validity window; a withdrawn version
 * answers 410. Anybody, without a token: the latest approved version of an open-data table,
 * at a stable URL (`/open/tables/<project>/<name>/<file>`), and the catalogue of them.
 */
import { KoppelError } from '../errors.js';
import type { Principal } from '../model.js';
import { SDMX_CSV_MEDIA_TYPE } from '../release/tables/sdmx-csv.js';
import { dcatRecord } from '../release/tables/table-outputs.js';
import type { ProjectRecord, TableVersionRecord } from '../store/index.js';
import type { PipelineContext } from './context.js';
import { recordAudit } from './audit.js';
import { openDataMeta } from './table-prepare.js';
import { tableSpecOf } from './table-specs.js';

export const TABLE_FILES: Readonly<Record<string, string>> = {
  'table.csv': 'text/csv; charset=utf-8',
  'table.json': 'application/json',
  'table.sdmx.csv': SDMX_CSV_MEDIA_TYPE,
  'datapackage.json': 'application/json',
  'manifest.json': 'application/json',
};

function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

function withinValidity(project: ProjectRecord): boolean {
  const today = todayUtc();
  return today >= project.valid_from && today <= project.valid_to;
}

function notFound(id: string): KoppelError {
  return new KoppelError('KOPPEL_ERR_RELEASE_TABLE_NOT_FOUND', `no table version ${id} visible to this principal`, { version: id });
}

function visibleVersion(ctx: PipelineContext, principal: Principal, id: string): { version: TableVersionRecord; project: ProjectRecord } {
  const version = ctx.store.tables.getVersion(id);
  const project = version === null ? null : ctx.store.getProject(version.project_id);
  if (version !== null && project !== null) {
    if (principal.role === 'operator') return { version, project };
    if (principal.role === 'researcher' && version.status !== 'draft' && project.researchers.includes(principal.id)) return { version, project };
  }
  throw notFound(id);
}

export function listTablesFor(ctx: PipelineContext, principal: Principal): TableVersionRecord[] {
  if (principal.role === 'operator') return ctx.store.tables.listVersions();
  const projects = ctx.store.listProjects().filter((p) => p.researchers.includes(principal.id) && withinValidity(p)).map((p) => p.id);
  return projects.length === 0 ? [] : ctx.store.tables.listVersions({ projectIds: projects, approvedOnly: true });
}

export function readTableFor(ctx: PipelineContext, principal: Principal, id: string): TableVersionRecord {
  return visibleVersion(ctx, principal, id).version;
}

export interface TableDownload { readonly bytes: Buffer; readonly contentType: string; readonly filename: string }

function fileOf(ctx: PipelineContext, version: TableVersionRecord, name: string): TableDownload {
  if (!Object.hasOwn(TABLE_FILES, name)) throw new KoppelError('KOPPEL_ERR_RELEASE_TABLE_NOT_FOUND', `table versions have no file ${name.slice(0, 40)}`, { version: version.id });
  const bytes = name === 'manifest.json' ? Buffer.from(`${JSON.stringify(version.manifest, null, 2)}\n`) : ctx.store.tables.readFile(version.id, name);
  if (bytes === null) throw new KoppelError('KOPPEL_ERR_RELEASE_TABLE_NOT_FOUND', `table version ${version.id} has no file ${name}`, { version: version.id });
  return { bytes, contentType: TABLE_FILES[name], filename: `${version.name}-${name}` };
}

function refuseWithdrawn(version: TableVersionRecord): void {
  if (version.withdrawn !== null) {
    throw new KoppelError('KOPPEL_ERR_RELEASE_WITHDRAWN', `table version ${version.id} was withdrawn on ${version.withdrawn.at.slice(0, 10)}`, { version: version.id });
  }
}

export function downloadTableFor(ctx: PipelineContext, principal: Principal, id: string, name: string): TableDownload {
  const { version, project } = visibleVersion(ctx, principal, id);
  refuseWithdrawn(version);
  if (principal.role === 'researcher' && !withinValidity(project)) {
    throw new KoppelError('KOPPEL_ERR_AUTH_OUTSIDE_VALIDITY', `project ${project.id} allows downloads from ${project.valid_from} to ${project.valid_to}`, { project: project.id });
  }
  const file = fileOf(ctx, version, name);
  recordAudit(ctx, { actor: principal.id, action: 'table.download', target: id, outcome: 'ok', detail: { file: name, project: project.id } });
  return file;
}

/** The latest approved version of every open-data table, or of one (project, name). */
function openVersions(ctx: PipelineContext, filter?: { project: string; name: string }): TableVersionRecord[] {
  return ctx.store.tables.listVersions({ approvedOnly: true }).filter((v) => v.status === 'approved'
    && (filter === undefined || (v.project_id === filter.project && v.name === filter.name))
    && tableSpecOf(ctx, v.table_id).body.open_data === true);
}

function openVersion(ctx: PipelineContext, project: string, name: string): TableVersionRecord {
  const version = openVersions(ctx, { project, name })[0];
  if (version === undefined) throw new KoppelError('KOPPEL_ERR_RELEASE_TABLE_NOT_FOUND', `no open-data table ${name} in project ${project}`, { project, name });
  refuseWithdrawn(version);
  return version;
}

export function openTableFile(ctx: PipelineContext, project: string, name: string, file: string): TableDownload {
  return fileOf(ctx, openVersion(ctx, project, name), file);
}

/** The DCAT-AP record of an open-data table; `base` is the public URL of the server. */
export function openTableRecord(ctx: PipelineContext, project: string, name: string, base: string): Record<string, unknown> {
  return dcatOf(ctx, openVersion(ctx, project, name), base);
}

function dcatOf(ctx: PipelineContext, version: TableVersionRecord, base: string): Record<string, unknown> {
  const meta = openDataMeta(tableSpecOf(ctx, version.table_id).body)!;
  return dcatRecord(meta, `${base}/open/tables/${version.project_id}/${version.name}`, version.approved_at ?? version.created_at);
}

/** A DCAT catalogue of every open-data table that is approved and not withdrawn. */
export function openCatalog(ctx: PipelineContext, base: string): Record<string, unknown> {
  const datasets = openVersions(ctx).filter((v) => v.withdrawn === null).map((v) => {
    const { '@context': _context, ...record } = dcatOf(ctx, v, base);
    return record;
  });
  return {
    '@context': { dcat: 'http://www.w3.org/ns/dcat#', dct: 'http://purl.org/dc/terms/', foaf: 'http://xmlns.com/foaf/0.1/', xsd: 'http://www.w3.org/2001/XMLSchema#' },
    '@id': `${base}/open/catalog`, '@type': 'dcat:Catalog', 'dct:title': 'Koppel open-data tables', 'dcat:dataset': datasets,
  };
}
