/**
 * UTC offsets of the time zone a timestamp column names, for turning instants into the
 * calendar day a supplier meant. An extract exported with `timestamp[tz=Europe/Brussels]` at
 * local midnight is 22:00 or 23:00 UTC the day before; its day is the day in that zone.
 *
 * Named zones go through Intl (the engine's tz database). Offsets change only at transitions,
 * which fall on whole hours UTC in practice, so each zone caches its offset per UTC hour: one
 * Intl call per distinct hour in a column, not per row.
 */

export interface ZoneOffsets {
  /** True when the offset is always 0 (no zone, UTC): the day is the UTC day. */
  readonly utc: boolean;
  /** Milliseconds to add to the UTC instant `ms` to get the zone's wall-clock time. */
  offsetMs(ms: number): number;
}

const UTC_ZONE: ZoneOffsets = { utc: true, offsetMs: () => 0 };
const UTC_NAMES = new Set(['utc', 'z', 'etc/utc', 'gmt', 'etc/gmt', 'etc/universal', 'universal', 'zulu', 'etc/zulu', '+00:00', '-00:00', '+0000', '+00']);
const HOUR_MS = 3_600_000;
/** Beyond this, Date cannot represent the instant (ECMA-262 time values). */
const MAX_TIME = 8.64e15;
/** A zone's hour cache is dropped past this size, so a long-running server stays bounded. */
const MAX_CACHED_HOURS = 100_000;
/** Zones seen so far (bounded by the tz database: unknown names are not cached). */
const known = new Map<string, ZoneOffsets>();

/** The zone's offsets, or null when the engine does not know the zone. */
export function zoneOffsets(timezone: string | null): ZoneOffsets | null {
  if (timezone === null || timezone === '') return UTC_ZONE;
  const name = timezone.trim();
  if (UTC_NAMES.has(name.toLowerCase())) return UTC_ZONE;
  const cached = known.get(name);
  if (cached !== undefined) return cached;
  const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(name);
  let zone: ZoneOffsets;
  if (fixed !== null) {
    const minutes = Number(fixed[2]) * 60 + Number(fixed[3]);
    if (Number(fixed[2]) > 23 || Number(fixed[3]) > 59) return null;
    const ms = (fixed[1] === '-' ? -minutes : minutes) * 60_000;
    zone = { utc: ms === 0, offsetMs: () => ms };
  } else {
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch {
      return null;
    }
    zone = namedZone(format);
  }
  known.set(name, zone);
  return zone;
}

function namedZone(format: Intl.DateTimeFormat): ZoneOffsets {
  const byHour = new Map<number, number>();
  return {
    utc: false,
    offsetMs(ms: number): number {
      const hour = Math.floor(ms / HOUR_MS);
      let offset = byHour.get(hour);
      if (offset === undefined) {
        const at = hour * HOUR_MS;
        // A far-off instant (no real extract has one) gets no offset rather than an exception.
        offset = Math.abs(at) > MAX_TIME - HOUR_MS ? 0 : wallClock(format, at) - at;
        if (byHour.size >= MAX_CACHED_HOURS) byHour.clear();
        byHour.set(hour, offset);
      }
      return offset;
    },
  };
}

/** The zone's wall-clock time at instant `ms`, read as if it were UTC. */
function wallClock(format: Intl.DateTimeFormat, ms: number): number {
  const parts: Record<string, number> = {};
  for (const p of format.formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const date = new Date(0);
  date.setUTCFullYear(parts.year, parts.month - 1, parts.day);
  date.setUTCHours(parts.hour, parts.minute, parts.second, 0);
  return date.getTime();
}
