/**
 * Posting a small JSON notice to an operator's webhook, with bounded retries: exponential
 * backoff from `firstDelayMs`, capped at `maxDelayMs`, at most `attempts` tries, each limited to
 * `timeoutMs`. The URL is never logged (it may carry the receiver's secret).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  readonly timeoutMs: number;
}

/** Five tries over about 15 s (1, 2, 4, 8 s between them). */
export const WEBHOOK_RETRIES: RetryPolicy = Object.freeze({ attempts: 5, firstDelayMs: 1000, maxDelayMs: 30_000, timeoutMs: 10_000 });

export interface PostOutcome {
  readonly ok: boolean;
  readonly attempts: number;
  /** The last HTTP status, or null when the last try got no answer. */
  readonly status: number | null;
}

/** Posts until a 2xx answer, the tries run out, or `signal` aborts (then it stops at once). */
export async function postWithRetries(url: string, payload: object, policy: RetryPolicy, signal?: AbortSignal): Promise<PostOutcome> {
  const body = JSON.stringify(payload);
  let status: number | null = null;
  let delay = policy.firstDelayMs;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    if (signal?.aborted === true) return { ok: false, attempts: attempt - 1, status };
    try {
      const timeout = AbortSignal.timeout(policy.timeoutMs);
      const response = await fetch(url, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body,
        signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
      });
      status = response.status;
      await response.body?.cancel();
      if (response.ok) return { ok: true, attempts: attempt, status };
    } catch {
      status = null;
    }
    if (attempt === policy.attempts) return { ok: false, attempts: attempt, status };
    try {
      await sleep(delay, undefined, { signal });
    } catch {
      return { ok: false, attempts: attempt, status };
    }
    delay = Math.min(delay * 2, policy.maxDelayMs);
  }
  return { ok: false, attempts: policy.attempts, status };
}
