/**
 * Recurrent products run by themselves. When every delivery a product needs for one of its
 * periods is current (committed, so past its checks), Koppel claims a run for the period, runs
 * the job and builds the release draft as `system:koppel`, and audits each step:
 *
 *   delivery committed ─┐
 *   product registered ─┼─> period complete? ─> claim (one per product and period) ─> job ─> draft
 *   server started ─────┘                                        │ failed: code, message, stage
 *                                                                └─> tried again when a superseding
 *                                                                    delivery or a product change comes
 *
 * A period's deliveries are, per dataset, one for the whole period or else every period of the
 * dataset's schedule within it (a quarter of a monthly dataset needs its three months). A run
 * that a stopped server left running is marked failed at the next start and tried once more
 * then; never twice in a row on the same inputs, so a run that kills the server cannot keep
 * doing so.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { isKoppelError, KoppelError } from '../errors.js';
import { isPeriod, SYSTEM_PRINCIPAL } from '../model.js';
import type { DeliveryRecord, ProductRecord, ProductRunError, ProductRunRecord } from '../store/index.js';
import type { PipelineContext } from './context.js';
import { recordAudit } from './audit.js';
import { startJob } from './jobs.js';
import { buildRelease } from './releases.js';
import { nextPeriod, periodContaining, periodEndDay, periodStartDay, type PeriodicSchedule } from './periods.js';

/** How often a run looks at its job's status. */
const JOB_POLL_MS = 100;

/** Runs under way in this process, so that shutdown can wait for them. */
const running = new Set<Promise<void>>();
/**
 * Runs go one after another, in the order they were claimed: a product registered with a year
 * of complete periods behind it starts them all, and they queue here rather than compete for
 * the job workers and the memory budget.
 */
let queue: Promise<void> = Promise.resolve();

/** Resolves once no product run is under way (a failed run may start its retry as it ends). */
export async function productRunsSettled(): Promise<void> {
  while (running.size > 0) await Promise.allSettled([...running]);
}

/** The periods of a schedule within a (coarser or equal) period: 2024Q1 monthly is 2024-01..03. */
function periodsWithin(period: string, schedule: PeriodicSchedule): string[] {
  const out: string[] = [];
  const end = periodEndDay(period);
  for (let p = periodContaining(periodStartDay(period), schedule); periodEndDay(p) <= end; p = nextPeriod(p)) out.push(p);
  return out;
}

/** The product's period that a delivery's period falls in, or null (before `from`, or not within one). */
function productPeriodOf(product: ProductRecord, period: string): string | null {
  if (!isPeriod(period)) return null;
  const own = periodContaining(periodStartDay(period), product.schedule);
  if (periodEndDay(period) > periodEndDay(own)) return null;
  return periodStartDay(own) < periodStartDay(product.from) ? null : own;
}

/** The current deliveries the period needs, in the product's dataset order; null while one is missing. */
function periodDeliveries(ctx: PipelineContext, product: ProductRecord, period: string): DeliveryRecord[] | null {
  const out: DeliveryRecord[] = [];
  for (const name of product.datasets) {
    const schedule = ctx.store.getDataset(name)?.schema.schedule;
    if (schedule === undefined || schedule === 'adhoc') return null;
    // A delivery for the whole period stands for its parts (a year's extract of a quarterly dataset).
    const whole = ctx.store.findCurrentDelivery(name, period);
    if (whole !== null) {
      out.push(whole);
      continue;
    }
    for (const p of periodsWithin(period, schedule)) {
      const delivery = ctx.store.findCurrentDelivery(name, p);
      if (delivery === null) return null;
      out.push(delivery);
    }
  }
  return out;
}

const sameInputs = (run: ProductRunRecord, deliveries: readonly string[], version: number) =>
  run.product_version === version && run.deliveries.length === deliveries.length && run.deliveries.every((d, i) => d === deliveries[i]);

/**
 * Whether a new attempt may start: none yet; or the last failed and its inputs changed since (a
 * superseding delivery, a product change); or it was interrupted by a stop, once.
 */
function mayStart(deliveries: readonly string[]) {
  return (attempts: readonly ProductRunRecord[], product: ProductRecord): boolean => {
    const last = attempts.at(-1);
    if (last === undefined) return true;
    if (last.status !== 'failed') return false;
    if (!sameInputs(last, deliveries, product.version)) return true;
    if (last.error?.stage !== 'interrupted') return false;
    const before = attempts.at(-2);
    return !(before?.error?.stage === 'interrupted' && sameInputs(before, deliveries, product.version));
  };
}

/** Claims and starts a run for the period if it is complete and may run; otherwise nothing. */
function considerPeriod(ctx: PipelineContext, product: ProductRecord, period: string): void {
  const deliveries = periodDeliveries(ctx, product, period);
  if (deliveries === null) return;
  const ids = deliveries.map((d) => d.id);
  const run = ctx.store.products.claimRun(product.id, period, ids, mayStart(ids));
  if (run === null) return;
  recordAudit(ctx, {
    actor: SYSTEM_PRINCIPAL.id, action: 'product.run.start', target: run.id, outcome: 'ok',
    detail: { product: product.id, period, attempt: run.attempt, product_version: run.product_version, deliveries: ids },
  });
  ctx.log.info({ product: product.id, period, run: run.id, attempt: run.attempt }, 'product run claimed');
  const work = queue
    .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
    .then(() => executeRun(ctx, product.project_id, run))
    .catch((err: unknown) => ctx.log.error({ err, run: run.id }, 'a product run could not record its end'))
    .finally(() => running.delete(work));
  running.add(work);
  queue = work;
}

/**
 * Every period of the product whose deliveries are all in (at registration, a change, a start).
 * Never throws into the registration or change, which has been stored; a fault is logged.
 */
export function considerProduct(ctx: PipelineContext, product: ProductRecord): void {
  try {
    const periods = new Set<string>();
    for (const dataset of product.datasets) {
      for (const d of ctx.store.listDeliveries({ dataset, status: 'current' })) {
        const period = productPeriodOf(product, d.period);
        if (period !== null) periods.add(period);
      }
    }
    for (const period of [...periods].sort((a, b) => periodStartDay(a) - periodStartDay(b))) considerPeriod(ctx, product, period);
  } catch (err) {
    ctx.log.error({ err, product: product.id }, 'could not consider the periods of a product');
  }
}

/**
 * The hook where a delivery is committed (deliveries.ts): the periods it may complete. Never
 * throws into the upload, which has succeeded whatever happens here; a fault is logged and the
 * next start looks again.
 */
export function productsAfterDelivery(ctx: PipelineContext, delivery: DeliveryRecord): void {
  try {
    for (const product of ctx.store.products.list()) {
      if (!product.datasets.includes(delivery.dataset)) continue;
      const period = productPeriodOf(product, delivery.period);
      if (period !== null) considerPeriod(ctx, product, period);
    }
  } catch (err) {
    ctx.log.error({ err, delivery: delivery.id }, 'could not consider the products of a delivery');
  }
}

/** At server start: runs a stopped process left running are marked failed; complete periods run. */
export function resumeProducts(ctx: PipelineContext): void {
  const interrupted = ctx.store.products.failInterrupted();
  for (const run of interrupted) {
    recordAudit(ctx, {
      actor: SYSTEM_PRINCIPAL.id, action: 'product.run.finish', target: run.id, outcome: 'failed',
      detail: { product: run.product_id, period: run.period, code: run.error?.code ?? null, stage: 'interrupted' },
    });
  }
  if (interrupted.length > 0) ctx.log.warn({ runs: interrupted.length }, 'product runs interrupted by the last shutdown were marked failed');
  for (const product of ctx.store.products.list()) considerProduct(ctx, product);
}

/** The job's error once it has ended, null when it succeeded (jobs run on their own; the run waits). */
async function jobFailure(ctx: PipelineContext, jobId: string): Promise<{ code: string; message: string } | null> {
  for (;;) {
    const job = ctx.store.getJob(jobId);
    if (job === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no job ${jobId}`, { job: jobId });
    if (job.status === 'succeeded') return null;
    if (job.status === 'failed') {
      const error = job.error as { code?: string; message?: string } | null;
      return { code: error?.code ?? 'KOPPEL_ERR_API_INTERNAL', message: error?.message ?? `job ${jobId} failed` };
    }
    await delay(JOB_POLL_MS);
  }
}

type Outcome = { readonly job?: string; readonly release_id: string } | { readonly job?: string; readonly error: ProductRunError };

/** The run's steps: its job over the period's deliveries, then the release draft. */
async function attempt(ctx: PipelineContext, projectId: string, run: ProductRunRecord): Promise<Outcome> {
  let stage: ProductRunError['stage'] = 'deliveries';
  let jobId: string | undefined;
  try {
    // A delivery declared empty has arrived, and has nothing to link.
    const withRecords = run.deliveries.filter((id) => ctx.store.getDelivery(id)?.declared_empty !== true);
    if (withRecords.length === 0) {
      throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `every delivery of period ${run.period} was declared empty: there is nothing to link`, { period: run.period });
    }
    stage = 'job';
    jobId = startJob(ctx, SYSTEM_PRINCIPAL, projectId, { ...run.settings.job, deliveries: withRecords }).id;
    ctx.store.products.setRunJob(run.id, jobId);
    const failure = await jobFailure(ctx, jobId);
    if (failure !== null) return { job: jobId, error: { ...failure, stage } };
    stage = 'release';
    const release = await buildRelease(ctx, SYSTEM_PRINCIPAL, jobId, run.settings.release);
    return { job: jobId, release_id: release.id };
  } catch (err) {
    ctx.log.error({ err, product: run.product_id, run: run.id, stage }, 'product run failed');
    // A coded error's message is value-free by rule; anything else's text is not passed on.
    const error = isKoppelError(err) ? { code: err.code, message: err.message, stage } : { code: 'KOPPEL_ERR_API_INTERNAL', message: 'the run failed unexpectedly; see the server log', stage };
    return { job: jobId, error };
  }
}

async function executeRun(ctx: PipelineContext, projectId: string, run: ProductRunRecord): Promise<void> {
  const outcome = await attempt(ctx, projectId, run);
  ctx.store.products.finishRun(run.id, outcome);
  const at = { product: run.product_id, period: run.period, job: outcome.job ?? null };
  if ('release_id' in outcome) {
    recordAudit(ctx, { actor: SYSTEM_PRINCIPAL.id, action: 'product.run.finish', target: run.id, outcome: 'ok', detail: { ...at, release: outcome.release_id } });
    ctx.log.info({ ...at, run: run.id, release: outcome.release_id }, 'product run built a release draft');
    return;
  }
  recordAudit(ctx, { actor: SYSTEM_PRINCIPAL.id, action: 'product.run.finish', target: run.id, outcome: 'failed', detail: { ...at, code: outcome.error.code, stage: outcome.error.stage } });
  ctx.log.warn({ ...at, run: run.id, code: outcome.error.code, stage: outcome.error.stage }, 'product run failed');
  // A superseding delivery or a product change that came while this ran: try again now.
  const product = ctx.store.products.get(run.product_id);
  if (product !== null) considerPeriod(ctx, product, run.period);
}
