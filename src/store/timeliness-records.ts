/**
 * What supplier timeliness needs beyond deliveries: uploads that were refused (dataset, period,
 * error code, who, when; never anything from the body) and the notices already given for
 * deliveries that became late, so that the periodic check announces each one once.
 */
import type { Db } from './database.js';
import { now } from './ids.js';

export interface RefusedUpload {
  readonly dataset: string;
  readonly period: string;
  readonly code: string;
  readonly at: string;
  readonly by: string;
}

export interface TimelinessNotice {
  readonly dataset: string;
  readonly period: string;
  readonly status: string;
  readonly days_late: number;
  readonly logged_at: string;
  readonly posted_at: string | null;
}

export class TimelinessRecords {
  private readonly insertRefusal;
  private readonly allRefusals;
  private readonly insertNotice;
  private readonly unposted;
  private readonly markPosted;

  constructor(db: Db) {
    this.insertRefusal = db.prepare('INSERT INTO refused_uploads (dataset, period, code, at, by) VALUES (?, ?, ?, ?, ?)');
    this.allRefusals = db.prepare<[], RefusedUpload>('SELECT dataset, period, code, at, by FROM refused_uploads ORDER BY seq');
    this.insertNotice = db.prepare('INSERT INTO timeliness_notices (dataset, period, status, days_late, logged_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.unposted = db.prepare<[], TimelinessNotice>('SELECT * FROM timeliness_notices WHERE posted_at IS NULL ORDER BY logged_at, dataset, period');
    this.markPosted = db.prepare('UPDATE timeliness_notices SET posted_at = ? WHERE dataset = ? AND period = ? AND status = ?');
  }

  recordRefusal(dataset: string, period: string, code: string, by: string): void {
    this.insertRefusal.run(dataset, period, code, now(), by);
  }

  refusals(): RefusedUpload[] {
    return this.allRefusals.all();
  }

  /** True when this (dataset, period, status) had no notice yet and now has one. */
  addNotice(dataset: string, period: string, status: string, daysLate: number): boolean {
    return this.insertNotice.run(dataset, period, status, daysLate, now()).changes === 1;
  }

  unpostedNotices(): TimelinessNotice[] {
    return this.unposted.all();
  }

  noticePosted(dataset: string, period: string, status: string): void {
    this.markPosted.run(now(), dataset, period, status);
  }
}
