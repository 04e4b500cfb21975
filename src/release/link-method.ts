/**
 * How each released record was linked: the `link_method` and `match_probability` columns.
 * Codes per row are a Uint8Array; the names are what the release files carry.
 */

export const LINK_METHOD_NAMES = ['unlinked', 'deterministic', 'probabilistic'] as const;
export type LinkMethodName = (typeof LINK_METHOD_NAMES)[number];

export const LINK_UNLINKED = 0;
export const LINK_DETERMINISTIC = 1;
export const LINK_PROBABILISTIC = 2;
