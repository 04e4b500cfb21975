/**
 * Match a file's header to the schema's columns. Order is free; names compare exactly after
 * trimming. Any missing, unknown or duplicate column fails the delivery with
 * KOPPEL_ERR_INGEST_HEADER, naming them.
 *
 * One guard: when not a single header name is a schema column, the first record is most likely
 * data (the supplier left the header out), and its "names" would be values - a national number,
 * a surname. Then only positions and counts are reported, never the names.
 */
import { KoppelError } from '../errors.js';
import type { IngestPlan } from './ingest-schema.js';

const MAX_LISTED = 20;
const MAX_NAME_LENGTH = 64;

/** Schema column name -> index of its field in the file. */
export function matchHeader(header: readonly string[], plan: IngestPlan): Map<string, number> {
  const wanted = new Set(plan.fileColumns);
  const index = new Map<string, number>();
  const unknown: string[] = [];
  const unknownPositions: number[] = [];
  const duplicate: string[] = [];
  header.forEach((raw, k) => {
    const name = raw.trim();
    if (!wanted.has(name)) {
      unknown.push(name);
      unknownPositions.push(k + 1);
    } else if (index.has(name)) {
      if (!duplicate.includes(name)) duplicate.push(name);
    } else index.set(name, k);
  });
  const missing = plan.fileColumns.filter((c) => !index.has(c));
  if (unknown.length === 0 && missing.length === 0 && duplicate.length === 0) return index;

  if (index.size === 0) {
    throw new KoppelError(
      'KOPPEL_ERR_INGEST_HEADER',
      `The first row names none of the dataset's ${plan.fileColumns.length} columns; is the header row missing?`,
      { missing: plan.fileColumns.slice(0, MAX_LISTED), unknown_positions: unknownPositions.slice(0, MAX_LISTED), unknown_count: unknown.length },
    );
  }
  const shown = unknown.slice(0, MAX_LISTED).map((u) => (u.length > MAX_NAME_LENGTH ? `${u.slice(0, MAX_NAME_LENGTH)}…` : u));
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`missing ${missing.length} (${missing.join(', ')})`);
  if (unknown.length > 0) parts.push(`unknown ${unknown.length} (${shown.join(', ')})`);
  if (duplicate.length > 0) parts.push(`duplicate ${duplicate.length} (${duplicate.join(', ')})`);
  throw new KoppelError('KOPPEL_ERR_INGEST_HEADER', `The header does not match the dataset schema: ${parts.join('; ')}.`, {
    missing,
    unknown: shown,
    unknown_positions: unknownPositions.slice(0, MAX_LISTED),
    duplicate,
  });
}
