/**
 * The version of what a delivery's stored files hold (which columns, which encodings), kept in
 * the Arrow schema metadata of linkage.arrow and payload.arrow under `koppel:delivery_format`.
 *
 *   format 0   files written before the entry existed: no metadata (read as they are)
 *   format 1   the same columns as format 0, now marked
 *   format 2   given_name and surname Bloom filters of 8 words (256 bits) instead of 16; the
 *              other columns as format 1. Older filters are folded on read (`storedBloomWords`,
 *              pseudonymise/encode-keyed.ts `foldBloom`), bit for bit what format 2 holds.
 *
 * A change of the columns or encodings bumps DELIVERY_FORMAT and teaches the readers the new
 * version; they keep reading every older one (or a documented `koppel` command migrates them),
 * and refuse a version newer than they know, rather than misreading it.
 */
import type { Schema } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import type { FieldType } from '../model.js';
import { BLOOM_SHAPE } from '../pseudonymise/encoded-source.js';

const DELIVERY_FORMAT_KEY = 'koppel:delivery_format';
/** The format this version writes. */
export const DELIVERY_FORMAT = 2;

/** Schema metadata for a delivery file written now. */
export function deliveryFormatMetadata(): Map<string, string> {
  return new Map([[DELIVERY_FORMAT_KEY, String(DELIVERY_FORMAT)]]);
}

/**
 * The format of a stored delivery file, from its schema: 0 without the entry, else the entry.
 * A version this code does not know (newer, or not a number) is KOPPEL_ERR_STORE_UNKNOWN_FORMAT.
 */
export function deliveryFormatOf(schema: Schema, what: string): number {
  const raw = schema.metadata.get(DELIVERY_FORMAT_KEY);
  if (raw === undefined) return 0;
  const version = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(version >= 0 && version <= DELIVERY_FORMAT)) {
    throw new KoppelError('KOPPEL_ERR_STORE_UNKNOWN_FORMAT', `${what} is in delivery format ${raw.slice(0, 16)}; this Koppel reads formats 0 to ${DELIVERY_FORMAT}`, {
      file: what, format: raw.slice(0, 16), known: DELIVERY_FORMAT,
    });
  }
  return version;
}

/** Words of a field type's Bloom filter as a delivery file of `format` stores it. */
export function storedBloomWords(type: FieldType, format: number): number {
  if (format < 2 && (type === 'given_name' || type === 'surname')) return 16;
  return BLOOM_SHAPE[type].words;
}
