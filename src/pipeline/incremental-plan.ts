/**
 * Whether a job links incrementally against the project's person spine or relinks everything
 * (issue 13), decided when the job is posted:
 *
 *   mode "full"          relink every delivery from scratch (as before)
 *   mode "incremental"   link only the deliveries the project's previous successful job did not
 *                        link (new, or superseding one it did) against that job's persons
 *   no mode              incremental when it can be, else full; the report says which and why
 *
 * Incremental needs a previous successful job with the same fields, columns, uniqueness and
 * blocking, at least one of its deliveries still in the job, and at least one new delivery.
 * Asked for explicitly when it cannot be, the job is refused (KOPPEL_ERR_LINK_BAD_JOB) naming why.
 */
import { KoppelError } from '../errors.js';
import type { DeliveryRecord, JobRecord } from '../store/index.js';
import type { PipelineContext } from './context.js';

export const JOB_MODES = ['incremental', 'full'] as const;
export type JobMode = (typeof JOB_MODES)[number];

export interface ModePlan {
  readonly mode: JobMode;
  /** Why this mode: asked for, or why incremental could not be. */
  readonly reason: string;
  /** Incremental only: the previous job, which sources are new, the deliveries that left. */
  readonly previous: JobRecord | null;
  readonly newSources: readonly boolean[];
  readonly removed: readonly DeliveryRecord[];
  /**
   * The previous job's threshold, carried over when the job names none. Its blocking rules are
   * not: rules the job does not name are chosen for the pairs this job compares (spine-links.ts).
   */
  readonly threshold: number | null;
  /** The previous job's m per field and level, for EM to start from (refreshed on the new comparisons). */
  readonly startM: number[][] | null;
}

/** The settings that must match for the spine's persons to mean the same thing. */
interface ComparableSettings {
  readonly deliveries: readonly string[];
  readonly fields: unknown;
  readonly columns: unknown;
  readonly unique: unknown;
  readonly blocking: unknown;
}

function full(reason: string): ModePlan {
  return { mode: 'full', reason, previous: null, newSources: [], removed: [], threshold: null, startM: null };
}

function previousThreshold(job: JobRecord): number | null {
  const threshold = (job.report as { linkage?: { settings?: { threshold?: unknown } } } | null)?.linkage?.settings?.threshold;
  return typeof threshold === 'number' ? threshold : null;
}

/** The m per field and level of the previous job's model, or null when it fitted none. */
function previousM(job: JobRecord): number[][] | null {
  const fields = (job.report as { linkage?: { model?: { fields?: { levels: { m: number }[] }[] } } } | null)?.linkage?.model?.fields;
  return fields === undefined || fields.length === 0 ? null : fields.map((f) => f.levels.map((l) => l.m));
}

/** Why the project's previous job cannot be this job's spine, or null when it can. */
function obstacle(previous: JobRecord | null, settings: ComparableSettings, deliveries: readonly DeliveryRecord[]): string | null {
  if (previous === null) return 'the project has no previous successful job';
  const before = previous.settings as ComparableSettings;
  const same = (k: keyof ComparableSettings) => JSON.stringify(before[k] ?? null) === JSON.stringify(settings[k] ?? null);
  const differ = (['fields', 'columns', 'unique', 'blocking'] as const).filter((k) => !same(k));
  if (differ.length > 0) return `the job's ${differ.join(', ')} differ from those of job ${previous.id}`;
  const kept = deliveries.filter((d) => before.deliveries.includes(d.id)).length;
  if (kept === 0) return `none of the deliveries of job ${previous.id} is in this job`;
  if (kept === deliveries.length) return `every delivery of this job was linked by job ${previous.id}`;
  if (!previous.files.some((f) => f.name === 'clusters.arrow') || !previous.files.some((f) => f.name === 'links.arrow')) return `job ${previous.id} has no stored clusters and links`;
  return null;
}

export function planMode(ctx: PipelineContext, projectId: string, deliveries: readonly DeliveryRecord[], settings: ComparableSettings, requested: JobMode | undefined): ModePlan {
  if (requested === 'full') return full('asked for');
  const previous = ctx.store.latestSucceededJob(projectId);
  const why = obstacle(previous, settings, deliveries);
  if (why !== null) {
    if (requested === 'incremental') throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `the job cannot link incrementally: ${why}; post it with "mode": "full"`, { mode: 'incremental' });
    return full(why);
  }
  const before = new Set((previous!.settings as ComparableSettings).deliveries);
  const now = new Set(deliveries.map((d) => d.id));
  const removed = [...before].filter((id) => !now.has(id)).map((id) => ctx.store.getDelivery(id)).filter((d): d is DeliveryRecord => d !== null);
  return {
    mode: 'incremental', reason: requested === 'incremental' ? 'asked for' : `job ${previous!.id} succeeded before`, previous,
    newSources: deliveries.map((d) => !before.has(d.id)), removed, threshold: previousThreshold(previous!), startM: previousM(previous!),
  };
}
