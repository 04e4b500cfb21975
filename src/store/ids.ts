/**
 * Record ids: a type prefix and random hex. Random (not sequential) so an id reveals nothing
 * about how many deliveries, jobs or releases exist, and cannot be guessed.
 */
import { randomBytes } from 'node:crypto';

export type IdPrefix = 'dlv' | 'job' | 'rel' | 'prj' | 'tok' | 'prd' | 'run';

/** `<prefix>_<20 hex digits>` (80 random bits). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(10).toString('hex')}`;
}


/** Current time as an ISO-8601 UTC string with milliseconds: the one timestamp format stored. */
export function now(): string {
  return new Date().toISOString();
}
