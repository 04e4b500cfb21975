/**
 * Linkage jobs: an operator runs a project's job over chosen deliveries. The job answers at
 * once (queued) and runs in the background: read the deliveries' linkage files, join them on the
 * linkage pseudonym into a person spine, give every person the TTP's persistent person id, and
 * store the clusters, the links and a report.
 */
import { performance } from 'node:perf_hooks';
import { Dictionary, Float64, Int32, Uint32, Utf8, makeData } from 'apache-arrow';
import { KoppelError, isKoppelError } from '../errors.js';
import type { Principal } from '../model.js';
import { buildSpine } from '../link/person-spine.js';
import type { PseudonymColumn } from '../link/pseudonym-join.js';
import type { DeliveryRecord, JobRecord, ProjectRecord } from '../store/index.js';
import { concatNumbers, concatPseudonyms, dictionaryColumn } from '../util/arrow-columns.js';
import { recordBatchOf, schemaOf, tableOf } from '../util/arrow-batch.js';
import type { PipelineContext } from './context.js';
import { recordAudit } from './audit.js';

export interface JobRequest {
  readonly deliveries: readonly string[];
}

export interface JobSettings {
  readonly deliveries: readonly string[];
  readonly method: 'deterministic';
}

/** Jobs running in this process, so that shutdown can wait for them. */
const running = new Set<Promise<void>>();

export function runningJobs(): readonly Promise<void>[] {
  return [...running];
}

function checkDeliveries(ctx: PipelineContext, project: ProjectRecord, ids: readonly string[]): DeliveryRecord[] {
  if (ids.length === 0) throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', 'a job needs at least one delivery');
  if (new Set(ids).size !== ids.length) throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', 'a job names a delivery twice');
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

export function startJob(ctx: PipelineContext, principal: Principal, projectId: string, request: JobRequest): JobRecord {
  const project = ctx.store.getProject(projectId);
  if (project === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no project ${projectId}`, { project: projectId });
  const deliveries = checkDeliveries(ctx, project, request.deliveries);
  const keyIds = new Set(deliveries.map((d) => d.key_id));
  if (keyIds.size > 1) {
    throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `the deliveries were pseudonymised under different keys (${[...keyIds].join(', ')}); re-keying comes with key rotation`);
  }
  const settings: JobSettings = { deliveries: deliveries.map((d) => d.id), method: 'deterministic' };
  const job = ctx.store.createJob(project.id, settings, principal.id);
  recordAudit(ctx, { actor: principal.id, action: 'job.start', target: job.id, outcome: 'ok', detail: { project: project.id, deliveries: settings.deliveries } });
  const work = new Promise<void>((resolve) => setImmediate(resolve))
    .then(() => runJob(ctx, job.id, principal, deliveries))
    .finally(() => running.delete(work));
  running.add(work);
  return job;
}

export function readJob(ctx: PipelineContext, id: string): JobRecord {
  const job = ctx.store.getJob(id);
  if (job === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no job ${id}`, { job: id });
  return job;
}

async function runJob(ctx: PipelineContext, jobId: string, principal: Principal, deliveries: DeliveryRecord[]): Promise<void> {
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap = (stage: string) => {
    const now = performance.now();
    timings[stage] = Math.round(now - t);
    t = now;
  };
  try {
    ctx.store.updateJob(jobId, { status: 'running', progress: { stage: 'read', deliveries: deliveries.length } });
    const columns: PseudonymColumn[] = [];
    const rows: Uint32Array[] = [];
    for (const delivery of deliveries) {
      const { linkage } = ctx.store.readDelivery(delivery.id);
      columns.push(concatPseudonyms(linkage));
      rows.push(concatNumbers(linkage, 'row', (n) => new Uint32Array(n)));
    }
    lap('read');

    ctx.store.updateJob(jobId, { progress: { stage: 'join', records: rows.reduce((a, r) => a + r.length, 0) } });
    const spine = buildSpine(columns);
    lap('join');

    ctx.store.updateJob(jobId, { progress: { stage: 'persons', persons: spine.personCount } });
    const personIds = resolvePersonIds(ctx, spine, columns, rows, deliveries);
    lap('persons');

    const files = jobTables(spine, personIds, rows, deliveries);
    const report = {
      method: 'deterministic',
      persons: spine.stats.persons,
      linked_across_sources: spine.stats.linkedAcrossSources,
      records_without_pseudonym: spine.stats.recordsWithoutPseudonym,
      links: files.links.numRows,
      sources: deliveries.map((d, i) => ({
        delivery: d.id, dataset: d.dataset, period: d.period,
        records: spine.stats.perSource[i].records,
        with_pseudonym: spine.stats.perSource[i].withPseudonym,
        matched_other_source: spine.stats.perSource[i].matchedOtherSource,
      })),
      timings_ms: timings,
    };
    ctx.store.writeJobFiles(jobId, [{ name: 'clusters', table: files.clusters }, { name: 'links', table: files.links }], report);
    lap('write');
    ctx.store.updateJob(jobId, { status: 'succeeded', progress: { stage: 'done' }, report });
    recordAudit(ctx, { actor: principal.id, action: 'job.finish', target: jobId, outcome: 'ok', detail: { persons: report.persons, links: report.links } });
    ctx.log.info({ job: jobId, persons: report.persons, ms: timings }, 'job succeeded');
  } catch (err) {
    const error = isKoppelError(err) ? { code: err.code, message: err.message } : { code: 'KOPPEL_ERR_API_INTERNAL', message: 'the job failed unexpectedly; see the server log' };
    ctx.log.error({ err, job: jobId }, 'job failed');
    try {
      ctx.store.updateJob(jobId, { status: 'failed', error });
      recordAudit(ctx, { actor: principal.id, action: 'job.finish', target: jobId, outcome: 'failed', detail: { code: error.code } });
    } catch (storeErr) {
      ctx.log.error({ err: storeErr, job: jobId }, 'could not record the job failure');
    }
  }
}

/**
 * The TTP's persistent person id of each spine person: looked up (or created) by pseudonym,
 * or, for a person without a national number, by the delivery and row of its one record.
 */
function resolvePersonIds(ctx: PipelineContext, spine: ReturnType<typeof buildSpine>, columns: PseudonymColumn[], rows: Uint32Array[], deliveries: DeliveryRecord[]): Float64Array {
  const ids = new Float64Array(spine.personCount);
  let withPseudonym = 0;
  for (let p = 0; p < spine.personCount; p++) if (spine.personPseudonymRow[p] >= 0) withPseudonym++;
  const pseudonyms = new Uint8Array(withPseudonym * 32);
  const persons = new Int32Array(withPseudonym);
  let k = 0;
  for (let p = 0; p < spine.personCount; p++) {
    if (spine.personPseudonymRow[p] < 0) continue;
    const s = spine.personFirstSource[p];
    const row = spine.personFirstRow[p];
    pseudonyms.set(columns[s].pseudonyms.subarray(row * 32, row * 32 + 32), k * 32);
    persons[k++] = p;
  }
  const byPseudonym = ctx.store.resolvePersonsByPseudonym(pseudonyms, withPseudonym, deliveries[0].key_id);
  for (let i = 0; i < withPseudonym; i++) ids[persons[i]] = byPseudonym[i];

  for (let s = 0; s < deliveries.length; s++) {
    const personOfRow = spine.personOfRow[s];
    let count = 0;
    for (let r = 0; r < personOfRow.length; r++) if (spine.personPseudonymRow[personOfRow[r]] < 0) count++;
    if (count === 0) continue;
    const sourceRows = new Uint32Array(count);
    const which = new Int32Array(count);
    let j = 0;
    for (let r = 0; r < personOfRow.length; r++) {
      if (spine.personPseudonymRow[personOfRow[r]] < 0) {
        sourceRows[j] = rows[s][r];
        which[j++] = personOfRow[r];
      }
    }
    const byRecord = ctx.store.resolvePersonsByRecord(deliveries[s].id, sourceRows);
    for (let i = 0; i < count; i++) ids[which[i]] = byRecord[i];
  }
  return ids;
}

/** A Float64 column whose NaN entries are null. */
function nullableF64(values: Float64Array) {
  const bitmap = new Uint8Array((values.length + 7) >>> 3);
  let nulls = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) nulls++;
    else bitmap[i >>> 3] |= 1 << (i & 7);
  }
  return makeData({ type: new Float64(), length: values.length, nullCount: nulls, data: values, nullBitmap: bitmap });
}

const CLUSTERS_SCHEMA = schemaOf([
  { name: 'delivery', type: new Dictionary(new Utf8(), new Int32()) },
  { name: 'row', type: new Uint32() },
  { name: 'person_id', type: new Float64() },
  { name: 'link_method', type: new Dictionary(new Utf8(), new Int32()) },
  { name: 'match_probability', type: new Float64() },
]);

const LINKS_SCHEMA = schemaOf([
  { name: 'left_delivery', type: new Dictionary(new Utf8(), new Int32()) },
  { name: 'left_row', type: new Uint32() },
  { name: 'right_delivery', type: new Dictionary(new Utf8(), new Int32()) },
  { name: 'right_row', type: new Uint32() },
  { name: 'method', type: new Dictionary(new Utf8(), new Int32()) },
  { name: 'match_probability', type: new Float64() },
]);

/** clusters: every record with its person; links: each record joined to its person's first record. */
function jobTables(spine: ReturnType<typeof buildSpine>, personIds: Float64Array, rows: Uint32Array[], deliveries: DeliveryRecord[]) {
  const labels = deliveries.map((d) => d.id);
  const total = spine.sourceRowStart[deliveries.length];
  const delivery = new Int32Array(total);
  const row = new Uint32Array(total);
  const person = new Float64Array(total);
  // 0 unlinked, 1 deterministic: a record whose person has other records was linked on its pseudonym.
  const method = new Int32Array(total);
  const probability = new Float64Array(total).fill(Number.NaN);
  let linkCount = 0;
  for (let s = 0; s < deliveries.length; s++) {
    const base = spine.sourceRowStart[s];
    const personOfRow = spine.personOfRow[s];
    delivery.fill(s, base, base + personOfRow.length);
    row.set(rows[s], base);
    for (let r = 0; r < personOfRow.length; r++) {
      const p = personOfRow[r];
      person[base + r] = personIds[p];
      if (spine.recordsPerPerson[p] >= 2) {
        method[base + r] = 1;
        probability[base + r] = 1;
      }
      if (spine.personFirstSource[p] !== s || spine.personFirstRow[p] !== r) linkCount++;
    }
  }
  const leftDelivery = new Int32Array(linkCount);
  const leftRow = new Uint32Array(linkCount);
  const rightDelivery = new Int32Array(linkCount);
  const rightRow = new Uint32Array(linkCount);
  let k = 0;
  for (let s = 0; s < deliveries.length; s++) {
    const personOfRow = spine.personOfRow[s];
    for (let r = 0; r < personOfRow.length; r++) {
      const p = personOfRow[r];
      const fs = spine.personFirstSource[p];
      const fr = spine.personFirstRow[p];
      if (fs === s && fr === r) continue;
      leftDelivery[k] = fs;
      leftRow[k] = rows[fs][fr];
      rightDelivery[k] = s;
      rightRow[k] = rows[s][r];
      k++;
    }
  }
  const u32 = (a: Uint32Array) => makeData({ type: new Uint32(), length: a.length, nullCount: 0, data: a });
  const f64 = (a: Float64Array) => makeData({ type: new Float64(), length: a.length, nullCount: 0, data: a });
  const clusters = tableOf(CLUSTERS_SCHEMA, [recordBatchOf(CLUSTERS_SCHEMA, [
    dictionaryColumn(labels, delivery), u32(row), f64(person), dictionaryColumn(['unlinked', 'deterministic'], method), nullableF64(probability),
  ])]);
  const links = tableOf(LINKS_SCHEMA, [recordBatchOf(LINKS_SCHEMA, [
    dictionaryColumn(labels, leftDelivery), u32(leftRow), dictionaryColumn(labels, rightDelivery), u32(rightRow),
    dictionaryColumn(['deterministic'], new Int32Array(linkCount)), f64(new Float64Array(linkCount).fill(1)),
  ])]);
  return { clusters, links };
}
