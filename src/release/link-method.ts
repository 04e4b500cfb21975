/**
 * How each released record was linked: the `link_method` and `match_probability` columns.
 * Codes per row are a Uint8Array; the names are what the release files carry.
 */
import type { Spine } from '../link/person-spine.js';

export const LINK_METHOD_NAMES = ['unlinked', 'deterministic', 'probabilistic'] as const;
export type LinkMethodName = (typeof LINK_METHOD_NAMES)[number];

export const LINK_UNLINKED = 0;
export const LINK_DETERMINISTIC = 1;
export const LINK_PROBABILISTIC = 2;

/**
 * Per row of spine source `source`: `deterministic` when the record carries a pseudonym that
 * another record (in any source, this one included) also carries; `unlinked` otherwise.
 * A record without a pseudonym is its own person in the spine, so it is always `unlinked` here.
 */
export function deterministicLinkMethods(spine: Spine, source: number): Uint8Array {
  const rows = spine.personOfRow[source];
  const out = new Uint8Array(rows.length);
  for (let row = 0; row < rows.length; row++) {
    const p = rows[row];
    if (spine.personPseudonymRow[p] >= 0 && spine.recordsPerPerson[p] >= 2) out[row] = LINK_DETERMINISTIC;
  }
  return out;
}
