/** Time per stage of a run, for the report and for a caller that shows progress. */
import type { LinkHooks } from './link-result.js';

export interface StageTimer {
  /** Milliseconds per stage, to 0.1 ms, in the order the stages ended. */
  readonly timings: Record<string, number>;
  /** Ends `stage` now: records its time since the previous stage ended and tells the hooks. */
  lap(stage: string): void;
}

export function stageTimer(hooks: LinkHooks): StageTimer {
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  return {
    timings,
    lap(stage: string): void {
      const t = performance.now();
      timings[stage] = Math.round((t - t0) * 10) / 10;
      t0 = t;
      hooks.onStage?.(stage, timings[stage]);
    },
  };
}
