/**
 * Linkage jobs: an operator runs a project's job over chosen deliveries. The job answers at
 * once (queued) and runs in the background: read the deliveries' stored pseudonyms and keyed
 * encodings, run the linkage cascade (deterministic on the national number, then EM-trained
 * probabilistic on the encodings), give every person the TTP's persistent person id, and store
 * the clusters, the links and the report. The CPU-heavy part runs in a worker thread
 * (link-worker-client.ts), so the server keeps answering while a job runs.
 */
import { checkMemoryBudget, estimateLinkMemory } from '../link/memory-estimate.js';
import type { LinkEngineName } from '../link/link-engine.js';
import { KoppelError, isKoppelError } from '../errors.js';
import { FIELD_TYPES, type ColumnSpec, type FieldType, type Principal } from '../model.js';
import { blockingRules, settingsProblems } from './job-schema.js';
import type { FieldQuality } from '../pseudonymise/encoded-source.js';
import type { DeliveryRecord, JobRecord, ProjectRecord } from '../store/index.js';
import type { PipelineContext } from './context.js';
import { recordAudit } from './audit.js';
import { linkageColumns, type JobField } from './linkage-encoding.js';
import { resolvePersonIds } from './person-ids.js';
import { commonKey, mapWindowPersons } from './key-window.js';
import { ensureJobSpace } from './job-space.js';
import { openLinkRunner, type LinkRunner } from './link-worker-client.js';
import type { LinkedSummary, LinkTaskInput } from './link-worker-tasks.js';
import { planMode, type JobMode, type ModePlan } from './incremental-plan.js';
import { modelDrift, resolveIncrementalPersons } from './incremental-persons.js';
import type { PersonChangeInput } from '../store/person-changes.js';
import type { LinkReport } from '../link/link-report.js';
import type { ReviewBand } from '../link/clerical-decisions.js';
import { reviewSummary, settledDecisions } from './review-file.js';

export interface JobRequest {
  readonly deliveries: readonly string[];
  /** Comparison fields; default: the national id and every linkage type that two deliveries share. */
  readonly fields?: readonly { name: string; type: string }[];
  /** dataset -> field name -> the dataset's linkage column, where a dataset has two of one type. */
  readonly columns?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** dataset -> whether a person has at most one record in it; default: detected from the pseudonyms. */
  readonly unique?: Readonly<Record<string, boolean>>;
  /** Rules as lists of field names; a lone name stands for a list of one. */
  readonly blocking?: readonly (string | readonly string[])[];
  readonly threshold?: number;
  /** "incremental" (link only new deliveries against the project's persons) or "full"; default: incremental when it can be (incremental-plan.ts). */
  readonly mode?: JobMode;
  /** The uncertain band sent to clerical review, in match weights; default: README "Clerical review". */
  readonly review?: ReviewBand;
  /** Where the pair stage runs (link/link-engine.ts); default in-process. */
  readonly engine?: LinkEngineName;
}

export interface JobSettings {
  readonly deliveries: readonly string[];
  readonly fields: readonly JobField[];
  readonly columns: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly unique: Readonly<Record<string, boolean>> | null;
  readonly blocking: readonly (readonly string[])[] | null;
  readonly threshold: number | null;
  readonly mode?: JobMode;
  /** Incremental: the job whose persons this one continues. */
  readonly previous_job?: string;
  readonly review: ReviewBand | null;
  /** Absent in jobs stored before the setting existed: in-process. */
  readonly engine?: LinkEngineName;
}

/** Jobs running in this process, so that shutdown can wait for them (each ends its worker first). */
const running = new Set<Promise<void>>();

export function runningJobs(): readonly Promise<void>[] {
  return [...running];
}

function badJob(message: string, details?: Record<string, string | number>): never {
  throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', message, details);
}

function checkDeliveries(ctx: PipelineContext, project: ProjectRecord, ids: readonly string[]): DeliveryRecord[] {
  if (ids.length === 0) badJob('a job needs at least one delivery');
  if (new Set(ids).size !== ids.length) badJob('a job names a delivery twice');
  return ids.map((id, i) => {
    const delivery = ctx.store.getDelivery(id);
    if (delivery === null) throw new KoppelError('KOPPEL_ERR_LINK_UNKNOWN_DELIVERY', `deliveries[${i}]: no delivery ${id}`, { index: i, delivery: id });
    if (!(delivery.dataset in project.approved)) {
      throw new KoppelError('KOPPEL_ERR_LINK_DELIVERY_NOT_ALLOWED', `deliveries[${i}]: dataset ${delivery.dataset} is not approved for project ${project.id}`, { index: i, dataset: delivery.dataset });
    }
    if (delivery.status !== 'current') {
      throw new KoppelError('KOPPEL_ERR_LINK_DELIVERY_NOT_ALLOWED', `deliveries[${i}]: delivery ${id} is superseded by ${delivery.superseded_by ?? 'a newer version'}`, { index: i, delivery: id });
    }
    return delivery;
  });
}

/** The job's comparison fields, and per dataset which linkage column serves each field. */
function resolveFields(ctx: PipelineContext, deliveries: readonly DeliveryRecord[], request: JobRequest): { fields: JobField[]; columnOf: Map<string, Map<string, ColumnSpec>> } {
  const datasets = [...new Set(deliveries.map((d) => d.dataset))];
  const schemas = new Map(datasets.map((name) => [name, ctx.store.getDataset(name)!.schema]));
  let fields: JobField[];
  if (request.fields !== undefined) {
    // Names and types were checked by the job schema (job-schema.ts) the body came through.
    fields = request.fields.map((f) => ({ name: f.name, type: f.type as FieldType }));
  } else {
    // A type helps only where at least two datasets carry it (or one, when deduplicating one dataset).
    const carriers = new Map<FieldType, number>();
    for (const schema of schemas.values()) {
      const types = new Set(schema.columns.filter((c) => c.role === 'national_id').map(() => 'national_id' as FieldType));
      for (const c of linkageColumns(schema)) types.add(c.type as FieldType);
      for (const t of types) carriers.set(t, (carriers.get(t) ?? 0) + 1);
    }
    const needed = schemas.size === 1 ? 1 : 2;
    fields = FIELD_TYPES.filter((t) => (carriers.get(t) ?? 0) >= needed).map((t) => ({ name: t, type: t }));
    if (fields.length === 0) badJob('the deliveries share no linkage field; name the fields of the job');
  }
  // The checks that span settings, as a job file gets them (job-schema.ts).
  const columns = new Map(Object.entries(request.columns ?? {}).map(([dataset, map]) => [`columns.${dataset}`, map]));
  const problems = settingsProblems({ fields, blocking: request.blocking ?? null, columns, dateFormats: false });
  if (problems.length > 0) badJob(`The job is invalid: ${problems.join('; ')}.`, { problems: problems.length });
  const columnOf = new Map<string, Map<string, ColumnSpec>>();
  for (const [dataset, schema] of schemas) {
    const map = new Map<string, ColumnSpec>();
    const explicit = request.columns?.[dataset] ?? {};
    for (const f of fields) {
      if (f.type === 'national_id') continue;
      const named = explicit[f.name];
      const candidates = linkageColumns(schema).filter((c) => (named === undefined ? c.type === f.type : c.name === named));
      if (named !== undefined && candidates.length === 0) badJob(`columns.${dataset}.${f.name}: dataset ${dataset} has no linkage column ${named}`, { dataset, field: f.name });
      if (candidates.length > 1) badJob(`dataset ${dataset} has ${candidates.length} linkage columns of type ${f.type}; say which serves field ${f.name} in columns.${dataset}`, { dataset, field: f.name });
      if (candidates.length === 1) {
        if (candidates[0].type !== f.type) badJob(`columns.${dataset}.${f.name}: column ${candidates[0].name} is of type ${candidates[0].type ?? '?'}, not ${f.type}`, { dataset, field: f.name });
        map.set(f.name, candidates[0]);
      }
    }
    columnOf.set(dataset, map);
  }
  return { fields, columnOf };
}

export function startJob(ctx: PipelineContext, principal: Principal, projectId: string, request: JobRequest): JobRecord {
  const project = ctx.store.getProject(projectId);
  if (project === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no project ${projectId}`, { project: projectId });
  const deliveries = checkDeliveries(ctx, project, request.deliveries);
  // Deliveries made before, during and after a key rotation window link on the key they share.
  const linkKey = commonKey(deliveries);
  const { fields, columnOf } = resolveFields(ctx, deliveries, request);
  if (request.review !== undefined && !(request.review.lower <= request.review.upper)) badJob('review.lower must not exceed review.upper');
  // Planned before it starts: the deliveries' row counts and the fields' widths give the peak.
  checkMemoryBudget(estimateLinkMemory(deliveries.map((d) => d.rows_kept), fields), ctx.config.memoryBudget);
  ensureJobSpace(ctx, deliveries);
  const columns: Record<string, Record<string, string>> = {};
  for (const [dataset, map] of columnOf) columns[dataset] = Object.fromEntries([...map].map(([field, c]) => [field, c.name]));
  const linkage = {
    deliveries: deliveries.map((d) => d.id), fields, columns,
    unique: request.unique ?? null, blocking: request.blocking === undefined ? null : blockingRules(request.blocking), threshold: request.threshold ?? null,
    review: request.review ?? null,
    engine: request.engine ?? 'in-process',
  };
  const plan = planMode(ctx, project.id, deliveries, linkage, request.mode);
  const settings: JobSettings = { ...linkage, mode: plan.mode, ...(plan.previous === null ? {} : { previous_job: plan.previous.id }) };
  const job = ctx.store.createJob(project.id, settings, principal.id);
  recordAudit(ctx, { actor: principal.id, action: 'job.start', target: job.id, outcome: 'ok', detail: { project: project.id, deliveries: settings.deliveries } });
  const work = new Promise<void>((resolve) => setImmediate(resolve))
    .then(() => runJob(ctx, job.id, principal, deliveries, settings, columnOf, plan, linkKey))
    .finally(() => running.delete(work));
  running.add(work);
  return job;
}

export function readJob(ctx: PipelineContext, id: string): JobRecord {
  const job = ctx.store.getJob(id);
  if (job === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no job ${id}`, { job: id });
  return job;
}

/** What the link task needs: per delivery its stored linkage file (as the store hands it out) and columns. */
function linkTaskInput(
  ctx: PipelineContext, deliveries: readonly DeliveryRecord[], settings: JobSettings, columnOf: Map<string, Map<string, ColumnSpec>>, plan: ModePlan, linkKey: string,
): LinkTaskInput {
  const previous = plan.previous;
  return {
    sources: deliveries.map((d) => ({
      delivery: d.id,
      file: ctx.store.deliveryFileRef(d.id, 'linkage', d.key_id === linkKey ? undefined : linkKey),
      unique: settings.unique?.[d.dataset] ?? null,
      columns: Object.fromEntries(columnOf.get(d.dataset)!),
      quality: ((d.report as { linkage_fields?: Record<string, FieldQuality> }).linkage_fields) ?? {},
    })),
    fields: settings.fields,
    // An incremental job links at its spine's threshold unless it names its own; rules it does not
    // name are chosen for the pairs it compares, as fine as a full relink's (spine-links.ts).
    blocking: settings.blocking,
    threshold: settings.threshold ?? plan.threshold,
    startM: plan.startM,
    spine: previous === null ? null : {
      previousJob: previous.id, clusters: ctx.store.jobFileRef(previous.id, 'clusters'), links: ctx.store.jobFileRef(previous.id, 'links'), newSources: plan.newSources,
    },
    // Decisions on any of the job's records, the spine's too: an incremental job honours them as a full one does.
    review: settings.review,
    decisions: settledDecisions(ctx, settings.deliveries),
    engine: settings.engine ?? 'in-process',
  };
}

/** Person ids per cluster, and for an incremental job its change-log entries and what the report says of it. */
async function personsOf(ctx: PipelineContext, linked: LinkedSummary, deliveries: DeliveryRecord[], plan: ModePlan, run: { job: string; by: string }, linkKey: string) {
  const { continuity } = linked;
  if (continuity === undefined || plan.previous === null) {
    return { ids: await resolvePersonIds(ctx, linked, deliveries, { keyId: linkKey }), changes: [] as PersonChangeInput[], incremental: null };
  }
  const persons = await resolveIncrementalPersons(ctx, { ...linked, continuity }, deliveries, plan.removed, run, { keyId: linkKey });
  const incremental = {
    previous_job: plan.previous.id,
    new_deliveries: deliveries.filter((_, i) => plan.newSources[i]).map((d) => d.id),
    removed_deliveries: plan.removed.map((d) => d.id),
    known_persons: persons.known,
    new_persons: persons.fresh,
    merges: persons.changes.filter((c) => c.kind === 'merge').length,
    splits: persons.changes.filter((c) => c.kind === 'split').length,
    threshold_from_previous_job: plan.threshold,
    drift: modelDrift((plan.previous.report as { linkage?: LinkReport } | null)?.linkage, linked.report),
  };
  return { ids: persons.ids, changes: persons.changes, incremental };
}

/**
 * The job's steps. Reading, linking and building the files run in a worker thread (unless
 * `jobWorkers` is 0); this thread only updates the job row, resolves person ids in SQLite in
 * short transactions and writes the files in slices, so the server keeps answering.
 */
async function runJob(
  ctx: PipelineContext, jobId: string, principal: Principal, deliveries: DeliveryRecord[], settings: JobSettings, columnOf: Map<string, Map<string, ColumnSpec>>, plan: ModePlan, linkKey: string,
): Promise<void> {
  let runner: LinkRunner | null = null;
  try {
    const input = linkTaskInput(ctx, deliveries, settings, columnOf, plan, linkKey);
    runner = await openLinkRunner(ctx, input);
    const started = performance.now();
    ctx.store.updateJob(jobId, { status: 'running', progress: { stage: 'read', deliveries: deliveries.length } });
    const linked = await runner.link((records) => ctx.store.updateJob(jobId, { progress: { stage: 'link', records } }));

    ctx.store.updateJob(jobId, { progress: { stage: 'persons', persons: linked.clusterCount } });
    mapWindowPersons(ctx, deliveries); // during a key rotation: persons known under either key
    const persons = await personsOf(ctx, linked, deliveries, plan, { job: jobId, by: principal.id }, linkKey);
    mapWindowPersons(ctx, deliveries);
    const files = await runner.files(persons.ids);
    const report = {
      mode: plan.mode,
      mode_reason: plan.reason,
      ...(persons.incremental === null ? {} : { incremental: persons.incremental }),
      persons: files.persons,
      linked_across_sources: files.linkedAcrossSources,
      links: linked.links,
      deliveries: deliveries.map((d, i) => ({ delivery: d.id, dataset: d.dataset, period: d.period, records: linked.records[i], unique: linked.unique[i] })),
      linkage: linked.report,
      review: reviewSummary(linked.review),
      total_ms: Math.round(performance.now() - started),
    };
    await ctx.store.writeJobFileBytes(jobId, files.files, report);
    // The merges and splits enter the change log once the files that carry them are stored.
    for (const change of persons.changes) ctx.store.personChanges.record(change);
    ctx.store.updateJob(jobId, { status: 'succeeded', progress: { stage: 'done' }, report });
    const changed = persons.incremental === null ? {} : { merges: persons.incremental.merges, splits: persons.incremental.splits };
    recordAudit(ctx, { actor: principal.id, action: 'job.finish', target: jobId, outcome: 'ok', detail: { persons: report.persons, links: report.links, mode: plan.mode, ...changed } });
    ctx.log.info({ job: jobId, persons: report.persons, links: report.links, ms: report.total_ms, mode: runner.mode }, 'job succeeded');
  } catch (err) {
    const error = isKoppelError(err) ? { code: err.code, message: err.message } : { code: 'KOPPEL_ERR_API_INTERNAL', message: 'the job failed unexpectedly; see the server log' };
    ctx.log.error({ err, job: jobId }, 'job failed');
    try {
      ctx.store.updateJob(jobId, { status: 'failed', error });
      recordAudit(ctx, { actor: principal.id, action: 'job.finish', target: jobId, outcome: 'failed', detail: { code: error.code } });
    } catch (storeErr) {
      ctx.log.error({ err: storeErr, job: jobId }, 'could not record the job failure');
    }
  } finally {
    // Terminates the worker (whatever happened) so shutdown, which awaits runningJobs(), never
    // leaves one behind.
    await runner?.close().catch((err: unknown) => ctx.log.error({ err, job: jobId }, 'could not stop the link worker'));
  }
}
