/**
 * What a blocking rule is, and which sources a run compares: the shapes every blocking module
 * shares (rule-keys.ts keys a rule, held-keys.ts keys it for an incremental run, blocking.ts
 * produces its pairs).
 */
export interface BlockingKey {
  readonly field: number;
  readonly slot: number;
}
export type BlockingRule = readonly BlockingKey[];

/** Which sources are compared: `left === right` means deduplication within one source. */
export interface SourcePair {
  readonly left: number;
  readonly right: number;
}
