import t from 'tap';
import {
  DEFAULT_DUE_DAYS, dayOf, dueDay, dueDaysOf, isoDay, nextPeriod, periodContaining, periodEndDay, periodStartDay, scheduleOfPeriod,
} from '../../../src/pipeline/periods.js';

t.test('each period spelling maps to its first and last calendar day', async (t) => {
  t.equal(isoDay(periodStartDay('2024')), '2024-01-01');
  t.equal(isoDay(periodEndDay('2024')), '2024-12-31');
  t.equal(isoDay(periodStartDay('2024Q1')), '2024-01-01');
  t.equal(isoDay(periodEndDay('2024Q1')), '2024-03-31');
  t.equal(isoDay(periodEndDay('2024Q4')), '2024-12-31');
  t.equal(isoDay(periodEndDay('2024-02')), '2024-02-29', 'a leap February');
  t.equal(isoDay(periodEndDay('2023-02')), '2023-02-28');
  t.equal(isoDay(periodEndDay('2024-12')), '2024-12-31');
});

t.test('periods follow one another across year ends, spelt alike', async (t) => {
  t.equal(nextPeriod('2024Q4'), '2025Q1');
  t.equal(nextPeriod('2024-12'), '2025-01');
  t.equal(nextPeriod('2024-09'), '2024-10');
  t.equal(nextPeriod('2024'), '2025');
  t.equal(scheduleOfPeriod('2024Q2'), 'quarterly');
  t.equal(scheduleOfPeriod('2024-02'), 'monthly');
  t.equal(scheduleOfPeriod('2024'), 'yearly');
});

t.test('the period containing a day, per schedule', async (t) => {
  const day = dayOf('2024-05-17T23:59:59Z');
  t.equal(isoDay(day), '2024-05-17', 'a moment maps to its UTC day');
  t.equal(periodContaining(day, 'quarterly'), '2024Q2');
  t.equal(periodContaining(day, 'monthly'), '2024-05');
  t.equal(periodContaining(day, 'yearly'), '2024');
});

t.test('the due day is the period end plus due_days, the schedule default, or none for adhoc', async (t) => {
  t.equal(isoDay(dueDay({ schedule: 'quarterly', due_days: 45 }, '2024Q1') as number), '2024-05-15');
  t.equal(isoDay(dueDay({ schedule: 'quarterly', due_days: 0 }, '2024Q1') as number), '2024-03-31', 'due_days 0: due on the last day');
  t.equal(dueDaysOf({ schedule: 'monthly' }), DEFAULT_DUE_DAYS.monthly);
  t.equal(isoDay(dueDay({ schedule: 'yearly' }, '2023') as number), '2024-03-30', 'yearly default: 90 days');
  t.equal(dueDay({ schedule: 'adhoc' }, '2024'), null);
});
