/**
 * Dates and timestamps as text (see arrow-text.ts): the calendar day, written in the target
 * column's date format. Date32 holds days; Date64 and timestamps hold 64-bit counts of a time
 * unit since the epoch; a timestamp with a time zone gives the day in that zone. And the other
 * way: packed dates that ingest parsed, as the ISO `YYYY-MM-DD` text of a date attribute.
 */
import type { Data, Utf8 } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import { ISO_DATE, maxDateBytes, writeDateBytes, type DateFormat } from './date-format.js';
import { TWO_32, TextBuilder, words64, type TextContext } from './text-builder.js';
import { isBitSet, validityBitmap } from '../util/null-bitmap.js';
import { zoneOffsets, type ZoneOffsets } from './time-zones.js';
import { civilFromDays, type CivilDate } from '../util/civil-date.js';
import { makeUtf8 } from '../util/arrow-columns.js';

const MS_PER_DAY = 86_400_000;
/** Units per millisecond, per Arrow TimeUnit (SECOND, MILLISECOND, MICROSECOND, NANOSECOND); 0: seconds, multiplied instead. */
const UNITS_PER_MS = [0, 1, 1e3, 1e6];
const UNIT_MS = 1;
const DATE_UNIT_DAY = 0;

/** Date32 (`unit` DAY) or Date64 (MILLISECOND), both UTC days. */
export function dateColumnText(data: Data, dateUnit: number, ctx: TextContext): Data<Utf8> {
  return dateText(data, dateUnit === DATE_UNIT_DAY ? null : UNIT_MS, zoneOffsets(null), ctx);
}

/** A timestamp of `unit` in `timezone` (none: UTC). */
export function timestampText(data: Data, unit: number, timezone: string | null, ctx: TextContext): Data<Utf8> {
  return dateText(data, unit, zoneOffsets(timezone), ctx);
}

/**
 * Dates and timestamps as calendar days: `unit` null for Date32 (days already), else the
 * TimeUnit of 64-bit counts since the epoch. Every unit is first brought to whole milliseconds
 * exactly (microseconds and nanoseconds by 64-bit division, since a double cannot hold a
 * nanosecond timestamp exactly and 1 ns before midnight must stay the day before), then shifted
 * by the zone's offset and floored to the day.
 */
function dateText(data: Data, unit: number | null, zone: ZoneOffsets | null, ctx: TextContext): Data<Utf8> {
  if (zone === null) {
    throw new KoppelError('KOPPEL_ERR_INGEST_COLUMN_TYPE', `Column ${ctx.column} is a timestamp in a time zone this server does not know.`, { column: ctx.column });
  }
  const n = data.length;
  const fmt = ctx.dateFormat ?? ISO_DATE;
  const days32 = unit === null ? (data.values as Int32Array) : null;
  const words = unit === null ? null : words64(data);
  const divisor = unit === null ? 1 : UNITS_PER_MS[unit];
  const bitmap = validityBitmap(data);
  const off = data.offset;
  const rowMax = maxDateBytes(fmt);
  const out = new TextBuilder(n, n * rowMax);
  const bytes = out.room(n * rowMax);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const k = off + i;
    if (bitmap === null || isBitSet(bitmap, k)) {
      let days: number;
      if (days32 !== null) days = days32[i];
      else {
        const hi = (words as Int32Array)[2 * i + 1];
        const lo = (words as Int32Array)[2 * i] >>> 0;
        const ms = divisor === 1 ? hi * TWO_32 + lo : divisor === 0 ? (hi * TWO_32 + lo) * 1000 : floorDiv64(hi, lo, divisor);
        days = Math.floor((zone.utc ? ms : ms + zone.offsetMs(ms)) / MS_PER_DAY);
      }
      pos = writeDays(fmt, days, bytes, pos);
    }
    out.pos = pos;
    out.end(i);
  }
  return out.finish();
}

/**
 * floor(v / d) of the 64-bit two's complement v = hi * 2^32 + lo, for 0 < d < 2^31 and a
 * quotient below 2^53: long division over 16-bit limbs, so every step is an exact double.
 */
export function floorDiv64(hi: number, lo: number, d: number): number {
  const negative = hi < 0;
  let h = hi >>> 0;
  let l = lo >>> 0;
  if (negative) {
    l = (~l + 1) >>> 0;
    h = (~h + (l === 0 ? 1 : 0)) >>> 0;
  }
  let cur = h >>> 16;
  let q = Math.floor(cur / d);
  let r = cur - q * d;
  cur = r * 65536 + (h & 0xffff);
  let qd = Math.floor(cur / d);
  r = cur - qd * d;
  q = q * 65536 + qd;
  cur = r * 65536 + (l >>> 16);
  qd = Math.floor(cur / d);
  r = cur - qd * d;
  q = q * 65536 + qd;
  cur = r * 65536 + (l & 0xffff);
  qd = Math.floor(cur / d);
  r = cur - qd * d;
  q = q * 65536 + qd;
  return negative ? -q - (r > 0 ? 1 : 0) : q;
}

const civil: CivilDate = { y: 0, m: 0, d: 0 };

/** Days since 1970-01-01, written as a date in `fmt`. */
function writeDays(fmt: DateFormat, days: number, out: Uint8Array, pos: number): number {
  civilFromDays(days, civil);
  return writeDateBytes(fmt, civil.y, civil.m, civil.d, out, pos);
}

/** `YYYY-MM-DD` Utf8 column of packed dates; 0 is null. */
export function isoDateColumn(ymd: Int32Array): Data<Utf8> {
  const n = ymd.length;
  const values = new Uint8Array(n * 10);
  const offsets = new Int32Array(n + 1);
  const validity = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const v = ymd[i];
    if (v === 0) nulls++;
    else {
      validity[i >> 3] |= 1 << (i & 7);
      const y = (v / 10000) | 0;
      const m = ((v / 100) | 0) % 100;
      const d = v % 100;
      values[pos] = 0x30 + ((y / 1000) | 0);
      values[pos + 1] = 0x30 + (((y / 100) | 0) % 10);
      values[pos + 2] = 0x30 + (((y / 10) | 0) % 10);
      values[pos + 3] = 0x30 + (y % 10);
      values[pos + 4] = 0x2d;
      values[pos + 5] = 0x30 + ((m / 10) | 0);
      values[pos + 6] = 0x30 + (m % 10);
      values[pos + 7] = 0x2d;
      values[pos + 8] = 0x30 + ((d / 10) | 0);
      values[pos + 9] = 0x30 + (d % 10);
      pos += 10;
    }
    offsets[i + 1] = pos;
  }
  return makeUtf8(values.subarray(0, pos), offsets, n, validity, nulls);
}
