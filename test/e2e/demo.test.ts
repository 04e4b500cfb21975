/**
 * The demo story (issue 2, "Done when"): the whole flow over real HTTP on the committed
 * examples, then three checks on what it left behind: the summary, k on the released persons
 * file, and a byte scan of everything written (data dir, server log, downloads) for the
 * examples' national numbers in any spelling and for their surnames.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { EXAMPLES_DIR, runDemoStory } from '../../src/cli/demo-command.js';
import { NeedleSet, filesUnder } from '../fixtures/leak-scan.js';

const EXAMPLE_CSVS = ['vdab_jobseekers.csv', 'rsz_employment.csv', 'agodi_diplomas.csv'];

/** Cells of one column of an example CSV (the examples quote no field that holds a comma). */
function column(file: string, name: string): string[] {
  const lines = fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8').trimEnd().split('\n');
  const index = lines[0].split(',').indexOf(name);
  if (index < 0) return [];
  return lines.slice(1).map((line) => line.split(',')[index]);
}

/**
 * Every string under which an example's national number could leak: each INSZ cell with its
 * punctuation removed and left-padded to 11 digits, in every spelling a supplier uses; cells
 * longer than 11 digits (malformed) as they are.
 */
function inszNeedles(): NeedleSet {
  const needles = new NeedleSet();
  for (const file of EXAMPLE_CSVS) {
    for (const cell of column(file, 'insz')) {
      const digits = cell.replace(/[.\- ]/g, '');
      if (!/^\d{9,}$/.test(digits)) continue; // missing, or a letter in it: nothing 9+ digits long to find
      if (digits.length > 11) needles.add(digits);
      else needles.addInsz(digits.padStart(11, '0'));
    }
  }
  return needles;
}

/** Groups rows by their tuple of values (null included) and counts the groups below k. */
function groupsBelowK(columns: (string | null)[][], k: number): { groups: number; small: number } {
  const counts = new Map<string, number>();
  for (let i = 0; i < columns[0].length; i++) {
    const key = JSON.stringify(columns.map((c) => c[i]));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { groups: counts.size, small: [...counts.values()].filter((n) => n < k).length };
}

/** Surnames (lowercase) found in `bytes` read as UTF-8 or as Latin-1. */
function findSurnames(bytes: Buffer, surnames: Set<string>): string[] {
  const utf8 = bytes.toString('utf8').toLowerCase();
  const latin1 = bytes.toString('latin1').toLowerCase();
  return [...surnames].filter((name) => utf8.includes(name) || latin1.includes(name));
}

t.test('the demo story runs end to end, releases k-anonymous persons and leaves no national number or surname at rest', async (t) => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'koppel-demo-test-'));
  t.teardown(() => fs.rmSync(workDir, { recursive: true, force: true }));
  const summary = await runDemoStory(workDir);

  t.test('the summary', async (t) => {
    const rowsIn = (file: string) => column(file, 'insz').length;
    t.same(summary.deliveries.map((d) => d.dataset), ['vdab_jobseekers', 'rsz_employment', 'agodi_diplomas'], 'one delivery per supplier');
    for (const d of summary.deliveries) {
      t.equal(d.rowsRead, rowsIn(`${d.dataset}.csv`), `${d.dataset}: every example row is read`);
      t.equal(d.rowsKept + d.rowsRejected, d.rowsRead, `${d.dataset}: read = kept + rejected`);
      t.ok(d.rowsKept > 0.95 * d.rowsRead, `${d.dataset}: almost all rows are kept (${d.rowsKept}/${d.rowsRead})`);
      t.ok(d.nationalIdInvalid > 0 && d.nationalIdInvalid < 0.05 * d.rowsRead, `${d.dataset}: a few national numbers are missing or invalid (${d.nationalIdInvalid})`);
    }
    // 2,840 distinct valid national numbers and 179 rows without one: the cascade finds at least
    // the former and links some of the latter by name and birth date.
    t.ok(summary.persons >= 2840 && summary.persons < 3019, `persons between the distinct valid numbers and all records without a match (${summary.persons})`);
    t.ok(summary.linkedAcrossSources > 1000, `many persons link across suppliers (${summary.linkedAcrossSources})`);
    t.equal(summary.release.k, 5, 'k from the project');
    t.ok(summary.release.suppressedValues > 0, `the release had to suppress values (${summary.release.suppressedValues})`);
    t.ok(summary.release.recordsAffected > 0 && summary.release.recordsAffected < summary.persons / 2, 'in some persons, not most');
    t.ok(summary.auditEntries >= 10, `the audit chain verified with ${summary.auditEntries} entries`);
    const byName = new Map(summary.release.files.map((f) => [f.name, f.rows]));
    t.equal(byName.get('persons'), summary.persons, 'one persons row per person');
    for (const d of summary.deliveries) t.equal(byName.get(d.dataset), d.rowsKept, `${d.dataset}: one released row per kept row`);
  });

  t.test('every combination of key variables in the released persons file occurs for at least k persons', async (t) => {
    const project = JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, 'project.json'), 'utf8')) as { key_variables: string[]; k: number };
    const persons = tableFromIPC(fs.readFileSync(path.join(summary.downloadDir, 'persons.arrow')));
    // The linkage metadata the project releases by default is per person, and counted as key variables.
    const keys = [...project.key_variables, 'match_probability', 'period_pattern'];
    t.same(persons.schema.fields.map((f) => f.name), ['pseudonym', ...keys], 'the persons file has the pseudonym and the key variables only');
    // A test may decode values: one group key per person, null as its own value.
    const columns = keys.map((name) => {
      const vector = persons.getChild(name)!;
      return Array.from({ length: persons.numRows }, (_, i) => (vector.isValid(i) ? String(vector.get(i)) : null));
    });
    const { groups, small } = groupsBelowK(columns, project.k);
    t.equal(small, 0, `no combination below k=${project.k} among ${groups} combinations`);
    // The check must be able to fail: the job seekers' own (birth year, sex, municipality) as
    // delivered, before suppression, have many combinations below k.
    const raw = [column('vdab_jobseekers.csv', 'geboortedatum').map((d) => d.slice(0, 4)), column('vdab_jobseekers.csv', 'geslacht'), column('vdab_jobseekers.csv', 'nis_code')];
    t.ok(groupsBelowK(raw, project.k).small > 0, 'the same check finds small combinations in the unsuppressed extract');
    const nulls = keys.reduce((sum, name) => sum + persons.getChild(name)!.nullCount, 0);
    t.ok(nulls >= summary.release.suppressedValues, 'the suppressed values are nulls in the file');
    const csvLines = fs.readFileSync(path.join(summary.downloadDir, 'persons.csv'), 'utf8').trimEnd().split('\n');
    t.equal(csvLines.length - 1, persons.numRows, 'the CSV rendering has the same rows');
  });

  t.test('a byte scan of the data dir, the server log and the downloads finds no example national number in any spelling', async (t) => {
    const needles = inszNeedles();
    t.ok(needles.size > 10_000, `the scan looks for ${needles.size} spellings`);
    const files = [...filesUnder(summary.dataDir), summary.logFile, ...filesUnder(summary.downloadDir)];
    t.ok(files.some((f) => f.endsWith('koppel.db')) && files.some((f) => f.endsWith('linkage.arrow')) && files.some((f) => f.endsWith('persons.csv')), 'the scan covers the database, the delivery files and the downloads');
    let scanned = 0;
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      scanned += bytes.length;
      for (const hit of needles.find(bytes)) {
        t.fail(`${path.relative(workDir, file)} holds an example national number (${hit.needle.length} characters, ${hit.encoding}, offset ${hit.at})`);
      }
    }
    t.ok(scanned > 1_000_000, `${files.length} files, ${scanned} bytes scanned`);

    // The scan itself must be able to fail: plant numbers in a copy of a scanned file.
    const [sample] = needles.needles;
    const planted = Buffer.concat([fs.readFileSync(summary.logFile), Buffer.from(`x${sample}x`, 'latin1'), Buffer.from(`y${sample}y`, 'utf16le')]);
    const found = needles.find(planted).filter((h) => h.needle === sample).map((h) => h.encoding.slice(0, 5));
    t.same(found.sort(), ['latin', 'utf16'], 'a planted number is found, in Latin-1 and in UTF-16');
  });

  t.test('no example surname of six letters or more is in the data dir or the server log', async (t) => {
    const surnames = new Set<string>();
    for (const file of EXAMPLE_CSVS) {
      for (const name of column(file, 'familienaam')) {
        if ((name.match(/\p{L}/gu) ?? []).length < 6) continue;
        surnames.add(name.toLowerCase());
        surnames.add(name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase());
      }
    }
    t.ok(surnames.size > 30, `${surnames.size} surnames and their unaccented forms`);
    const files = [...filesUnder(summary.dataDir), summary.logFile];
    for (const file of files) {
      for (const name of findSurnames(fs.readFileSync(file), surnames)) {
        t.fail(`${path.relative(workDir, file)} holds an example surname (${name.length} characters)`);
      }
    }
    const [sample] = surnames;
    t.ok(findSurnames(Buffer.from(`{"x":"${sample.toUpperCase()}"}`), surnames).includes(sample), 'a planted surname is found, whatever its case');
    t.pass(`${files.length} files scanned`);
  });
});
