/**
 * How a record or a link was made: the one table of link-method codes and names. The engine's
 * links carry these codes (`LinkTable.method`), the job's files and the release's
 * `link_method` column carry the names; a code is its name's index. A link is never
 * `unlinked`: that name is for records.
 */

export const LINK_METHOD_NAMES = ['unlinked', 'deterministic', 'probabilistic'] as const;

export const LINK_UNLINKED = 0;
export const LINK_DETERMINISTIC = 1;
export const LINK_PROBABILISTIC = 2;
