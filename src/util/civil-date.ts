/** A calendar date, filled in place (one object per caller, not per value). */
export interface CivilDate {
  y: number;
  m: number;
  d: number;
}

/**
 * Days since 1970-01-01 to the proleptic Gregorian year, month and day, into `out`: Howard
 * Hinnant's civil_from_days, exact integer arithmetic with no Date object per value.
 */
export function civilFromDays(days: number, out: CivilDate): CivilDate {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  out.d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  out.m = mp < 10 ? mp + 3 : mp - 9;
  out.y = yoe + era * 400 + (out.m <= 2 ? 1 : 0);
  return out;
}
