/**
 * The server's watch over supplier timeliness: once at start and then every
 * `timelinessCheckIntervalMs`, each delivery that became late (arrived after its due day) or
 * overdue (missing, or only refused uploads, past its due day) is logged once and, when
 * `timelinessWebhook` is set, posted there as `{dataset, period, status, days_late}`: no data.
 * Notices are kept in the store, so a restart neither repeats nor loses them; a notice whose
 * post failed is tried again at the next check, if its status still holds.
 */
import type { PipelineContext } from './context.js';
import { allTimeliness } from './timeliness-view.js';
import type { TimelinessStatus } from './timeliness.js';
import { WEBHOOK_RETRIES, postWithRetries, type RetryPolicy } from './webhook.js';

const ANNOUNCED: ReadonlySet<TimelinessStatus> = new Set(['late', 'missing', 'rejected']);

export interface TimelinessCheck {
  /** Notices new in this check (each also logged). */
  readonly announced: number;
  readonly posted: number;
  /** Notices whose post failed after every retry; tried again next time. */
  readonly failed: number;
}

export async function checkTimeliness(ctx: PipelineContext, policy: RetryPolicy = WEBHOOK_RETRIES, signal?: AbortSignal): Promise<TimelinessCheck> {
  const standing = new Set<string>();
  let announced = 0;
  for (const e of allTimeliness(ctx)) {
    // rejected counts once it is overdue; before its due day the supplier may still deliver.
    if (!ANNOUNCED.has(e.status) || e.days_late === null) continue;
    standing.add(noticeKey(e.dataset, e.period, e.status));
    if (ctx.store.addTimelinessNotice(e.dataset, e.period, e.status, e.days_late)) {
      announced += 1;
      ctx.log.warn({ dataset: e.dataset, period: e.period, status: e.status, days_late: e.days_late, supplier: e.supplier }, 'delivery late');
    }
  }
  const url = ctx.config.timelinessWebhook;
  let posted = 0;
  let failed = 0;
  if (url === '') return { announced, posted, failed };
  for (const notice of ctx.store.unpostedTimelinessNotices()) {
    if (!standing.has(noticeKey(notice.dataset, notice.period, notice.status))) continue;
    const payload = { dataset: notice.dataset, period: notice.period, status: notice.status, days_late: notice.days_late };
    const outcome = await postWithRetries(url, payload, policy, signal);
    if (outcome.ok) {
      ctx.store.timelinessNoticePosted(notice.dataset, notice.period, notice.status);
      posted += 1;
    } else {
      failed += 1;
      ctx.log.error({ dataset: notice.dataset, period: notice.period, status: notice.status, attempts: outcome.attempts, http_status: outcome.status }, 'timeliness webhook failed; tried again at the next check');
    }
  }
  return { announced, posted, failed };
}

function noticeKey(dataset: string, period: string, status: string): string {
  return `${dataset}\u0000${period}\u0000${status}`;
}

/** Runs the check now and on an unref'd timer; `stop` cancels a check under way (retries included). */
export function watchTimeliness(ctx: PipelineContext, policy: RetryPolicy = WEBHOOK_RETRIES): { stop(): Promise<void> } {
  const abort = new AbortController();
  let running: Promise<void> | null = null;
  const run = (): void => {
    if (running !== null) return; // the previous check (slow webhook) is still under way
    running = checkTimeliness(ctx, policy, abort.signal)
      .then(() => undefined, (err: unknown) => ctx.log.error({ err }, 'timeliness check failed'))
      .finally(() => { running = null; });
  };
  run();
  const timer = setInterval(run, ctx.config.timelinessCheckIntervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      abort.abort();
      await running;
    },
  };
}
