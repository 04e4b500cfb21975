/**
 * Match a file's header to the columns a reader needs. Order is free; names compare exactly
 * after trimming. Any missing or duplicate column fails with KOPPEL_ERR_INGEST_HEADER, naming
 * them; so does any column not asked for, unless `allowExtra` (uploads refuse columns their
 * dataset schema does not declare; `koppel link` reads only the columns of its job and ignores
 * the rest of a local file).
 *
 * One guard, for both: when not a single header name is a wanted column, the first record is
 * most likely data (the supplier left the header out), and its "names" would be values - a
 * national number, a surname. Then only positions and counts are reported, never the names.
 */
import { KoppelError } from '../errors.js';

const MAX_LISTED = 20;
const MAX_NAME_LENGTH = 64;

export interface HeaderMatchOptions {
  /** Ignore header names that are not wanted (default false: refuse them). */
  readonly allowExtra?: boolean;
}

/** Wanted column name -> index of its field in the file. */
export function matchHeader(header: readonly string[], wanted: { readonly fileColumns: readonly string[] }, options: HeaderMatchOptions = {}): Map<string, number> {
  const columns = new Set(wanted.fileColumns);
  const index = new Map<string, number>();
  const unknown: string[] = [];
  const unknownPositions: number[] = [];
  const duplicate: string[] = [];
  header.forEach((raw, k) => {
    const name = raw.trim();
    if (!columns.has(name)) {
      unknown.push(name);
      unknownPositions.push(k + 1);
    } else if (index.has(name)) {
      if (!duplicate.includes(name)) duplicate.push(name);
    } else index.set(name, k);
  });
  const missing = [...columns].filter((c) => !index.has(c));
  const refused = options.allowExtra === true ? 0 : unknown.length;
  if (refused === 0 && missing.length === 0 && duplicate.length === 0) return index;

  if (index.size === 0) {
    throw new KoppelError(
      'KOPPEL_ERR_INGEST_HEADER',
      `The first row names none of the dataset's ${columns.size} columns; is the header row missing?`,
      { missing: [...columns].slice(0, MAX_LISTED), unknown_positions: unknownPositions.slice(0, MAX_LISTED), unknown_count: unknown.length },
    );
  }
  const shown = unknown.slice(0, MAX_LISTED).map((u) => (u.length > MAX_NAME_LENGTH ? `${u.slice(0, MAX_NAME_LENGTH)}…` : u));
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`missing ${missing.length} (${missing.join(', ')})`);
  if (unknown.length > 0) parts.push(`${refused > 0 ? 'unknown' : 'other columns'} ${unknown.length} (${shown.join(', ')})`);
  if (duplicate.length > 0) parts.push(`duplicate ${duplicate.length} (${duplicate.join(', ')})`);
  throw new KoppelError('KOPPEL_ERR_INGEST_HEADER', `The header does not match the dataset schema: ${parts.join('; ')}.`, {
    missing,
    unknown: shown,
    unknown_positions: unknownPositions.slice(0, MAX_LISTED),
    duplicate,
  });
}
