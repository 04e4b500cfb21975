import t from 'tap';
import type { DatasetSchema } from '../../../src/model.js';
import type { DatasetRecord, DeliveryRecord, RefusedUpload } from '../../../src/store/index.js';
import { dayOf } from '../../../src/pipeline/periods.js';
import { isDeclaredEmpty, timelinessEntries, type TimelinessEntry } from '../../../src/pipeline/timeliness.js';
import { summariesOf } from '../../../src/pipeline/timeliness-summary.js';

function dataset(name: string, supplier: string, schedule: DatasetSchema['schedule'], extra: Partial<DatasetSchema> = {}, created = '2024-01-10T09:00:00.000Z'): DatasetRecord {
  return {
    name, supplier, created_at: created, created_by: 'operator:o',
    schema: { name, supplier, schedule, columns: [{ name: 'insz', role: 'national_id' }], ...extra },
  };
}

let seq = 0;
function delivery(datasetName: string, period: string, at: string, more: Partial<DeliveryRecord> & Record<string, unknown> = {}): DeliveryRecord {
  seq += 1;
  return {
    id: `dlv_${String(seq).padStart(20, '0')}`, dataset: datasetName, period, version: 1, status: 'current', rows_kept: 10,
    report: { rows_read: 10 }, key_id: 'k', body_sha256: 'a'.repeat(64), files: [], created_at: at, created_by: 'supplier:x',
    superseded_at: null, superseded_by: null, declared_empty: false, ...more,
  } as DeliveryRecord;
}

const entry = (entries: TimelinessEntry[], ds: string, period: string) => entries.find((e) => e.dataset === ds && e.period === period);

t.test('a delivery after its due day is late by the number of days past it; on the due day it is on time', async (t) => {
  const ds = dataset('vdab_set', 'vdab', 'quarterly', { due_days: 45 });
  // 2024Q1 is due on 2024-05-15, 2024Q2 on 2024-08-14.
  const entries = timelinessEntries({
    datasets: [ds],
    deliveries: [delivery('vdab_set', '2024Q1', '2024-05-15T23:30:00.000Z'), delivery('vdab_set', '2024Q2', '2024-08-21T08:00:00.000Z')],
    refusals: [], today: dayOf('2024-09-01T00:00:00Z'),
  });
  t.same(entries.map((e) => e.period), ['2024Q1', '2024Q2'], 'the periods ended since registration, nothing more');
  t.match(entry(entries, 'vdab_set', '2024Q1'), { status: 'on_time', days_late: 0, due_date: '2024-05-15', delivered_on: '2024-05-15' });
  t.match(entry(entries, 'vdab_set', '2024Q2'), { status: 'late', days_late: 7, due_date: '2024-08-14', delivered_on: '2024-08-21' });
});

t.test('a never-made delivery is missing once its due day has passed, not yet due before', async (t) => {
  const ds = dataset('rsz_set', 'rsz', 'monthly', { due_days: 10, expected_from: '2024-03' });
  const entries = timelinessEntries({ datasets: [ds], deliveries: [], refusals: [], today: dayOf('2024-05-11T12:00:00Z') });
  t.same(entries.map((e) => [e.period, e.status, e.days_late]), [
    ['2024-03', 'missing', 31], // due 2024-04-10
    ['2024-04', 'missing', 1], // due 2024-05-10; 2024-05 has not ended and is not listed
  ], 'expected from the declared period, with the days overdue so far');
  const dayBefore = timelinessEntries({ datasets: [ds], deliveries: [], refusals: [], today: dayOf('2024-05-10T12:00:00Z') });
  t.match(entry(dayBefore, 'rsz_set', '2024-04'), { status: 'not_yet_due', days_late: null }, 'on its due day a delivery is not yet missing');
});

t.test('an empty-on-purpose delivery is reported as declared empty, with its own delay', async (t) => {
  const ds = dataset('riziv_set', 'riziv', 'quarterly', { due_days: 45 });
  const late = delivery('riziv_set', '2024Q1', '2024-05-20T10:00:00.000Z', { rows_kept: 0, declared_empty: true });
  const onTime = delivery('riziv_set', '2024Q2', '2024-07-01T10:00:00.000Z', { rows_kept: 0, declared_empty: true });
  const entries = timelinessEntries({ datasets: [ds], deliveries: [late, onTime], refusals: [], today: dayOf('2024-09-01T00:00:00Z') });
  t.match(entry(entries, 'riziv_set', '2024Q1'), { status: 'declared_empty', days_late: 5 }, 'declared empty, five days after its due day');
  t.match(entry(entries, 'riziv_set', '2024Q2'), { status: 'declared_empty', days_late: 0 }, 'declared empty in time');
  t.notOk(isDeclaredEmpty(delivery('riziv_set', '2024Q3', '2024-10-01T00:00:00.000Z', { rows_kept: 0, report: { rows_read: 0 } })), 'no rows without the flag is not declared empty');
});

t.test('a replaced delivery is superseded, timed by its first version; refused uploads alone are rejected', async (t) => {
  const ds = dataset('vdab_set', 'vdab', 'quarterly', { due_days: 45 });
  const v1 = delivery('vdab_set', '2024Q1', '2024-05-18T10:00:00.000Z', { status: 'superseded' });
  const v2 = delivery('vdab_set', '2024Q1', '2024-06-30T10:00:00.000Z', { version: 2 });
  const refusals: RefusedUpload[] = [
    { dataset: 'vdab_set', period: '2024Q2', code: 'KOPPEL_ERR_INGEST_HEADER', at: '2024-08-01T00:00:00.000Z', by: 'supplier:vdab' },
    { dataset: 'vdab_set', period: '2024Q1', code: 'KOPPEL_ERR_STORE_CONFLICT', at: '2024-06-01T00:00:00.000Z', by: 'supplier:vdab' },
  ];
  const entries = timelinessEntries({ datasets: [ds], deliveries: [v2, v1], refusals, today: dayOf('2024-08-20T00:00:00Z') });
  t.match(entry(entries, 'vdab_set', '2024Q1'), { status: 'superseded', versions: 2, days_late: 3, delivered_on: '2024-05-18', delivery: v2.id, rejected_uploads: 1 });
  t.match(entry(entries, 'vdab_set', '2024Q2'), { status: 'rejected', days_late: 6, rejected_uploads: 1, delivery: null });
});

t.test('adhoc datasets expect nothing; registration sets where expectations start', async (t) => {
  const adhoc = dataset('survey', 'statbel', 'adhoc');
  const yearly = dataset('tax_set', 'fod', 'yearly', {}, '2022-06-01T00:00:00.000Z');
  const entries = timelinessEntries({
    datasets: [adhoc, yearly], deliveries: [delivery('survey', '2024', '2024-02-01T00:00:00.000Z')], refusals: [], today: dayOf('2024-06-01T00:00:00Z'),
  });
  t.same(entries.map((e) => [e.dataset, e.period, e.status]), [['tax_set', '2022', 'missing'], ['tax_set', '2023', 'missing']], 'yearly from the registration year, 90 days grace by default');
});

t.test('summaries give counts, median and worst delay and the share on time per dataset and supplier', async (t) => {
  const a = dataset('a_set', 'vdab', 'monthly', { due_days: 0, expected_from: '2024-01' });
  const b = dataset('b_set', 'vdab', 'monthly', { due_days: 0, expected_from: '2024-01' });
  const deliveries = [
    delivery('a_set', '2024-01', '2024-01-31T10:00:00.000Z'), // on time
    delivery('a_set', '2024-02', '2024-03-02T10:00:00.000Z'), // 2 days late (leap year)
    delivery('a_set', '2024-03', '2024-04-10T10:00:00.000Z'), // 10 days late
    delivery('b_set', '2024-01', '2024-02-05T10:00:00.000Z'), // 5 days late
  ];
  const entries = timelinessEntries({ datasets: [a, b], deliveries, refusals: [], today: dayOf('2024-04-15T00:00:00Z') });
  const { datasets, suppliers } = summariesOf(entries);
  t.match(datasets[0], { dataset: 'a_set', supplier: 'vdab', periods_due: 3, median_days_late: 2, worst_days_late: 10, counts: { on_time: 1, late: 2 } });
  t.equal(datasets[0].share_on_time, 1 / 3);
  t.match(datasets[1], { dataset: 'b_set', periods_due: 3, median_days_late: 5, worst_days_late: 5, counts: { late: 1, missing: 2 } });
  t.equal(datasets[1].share_on_time, 0, 'missing periods count against the share on time');
  t.match(suppliers, [{ supplier: 'vdab', periods_due: 6, median_days_late: 3.5, worst_days_late: 10 }]);
  t.equal(suppliers[0].dataset, undefined);
});
