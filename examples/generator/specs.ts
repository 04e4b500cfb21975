/** The dataset schemas and the project authorisation that go with the example extracts. */
import type { DatasetSchema, ProjectSpec } from '../../src/model.js';
import { DIPLOMA_LEVELS, STUDY_FIELDS, type RecordIdColumn } from './extracts.js';

/** Each supplier's own record number (read and dropped at ingest; the id `koppel link` reports). */
export const RECORD_IDS: Readonly<Record<'vdab' | 'rsz' | 'agodi', RecordIdColumn>> = {
  vdab: { name: 'dossier_nr', prefix: 'VD' },
  rsz: { name: 'aangifte_id', prefix: 'RSZ' },
  agodi: { name: 'leerling_id', prefix: 'AG' },
};

export const VDAB_SCHEMA: DatasetSchema = {
  name: 'vdab_jobseekers',
  supplier: 'vdab',
  schedule: 'quarterly',
  description: 'Registered job seekers at the end of the quarter (synthetic example).',
  columns: [
    { name: 'dossier_nr', role: 'drop' },
    { name: 'insz', role: 'national_id' },
    { name: 'voornaam', role: 'linkage', type: 'given_name' },
    { name: 'familienaam', role: 'linkage', type: 'surname' },
    { name: 'geboortedatum', role: 'linkage', type: 'date', format: 'YYYY-MM-DD' },
    { name: 'geslacht', role: 'linkage', type: 'sex' },
    { name: 'postcode', role: 'linkage', type: 'postcode' },
    { name: 'nis_code', role: 'attribute', type: 'code' },
    { name: 'opleidingsniveau', role: 'attribute', type: 'code', codes: ['laag', 'middel', 'hoog'] },
    { name: 'inschrijvingsdatum', role: 'attribute', type: 'date', format: 'YYYY-MM-DD' },
    { name: 'werkloosheidsduur_maanden', role: 'attribute', type: 'integer', unit: 'months' },
    { name: 'birth_year', role: 'attribute', derive: 'birth_year(geboortedatum)' },
    { name: 'sex', role: 'attribute', derive: 'sex(insz)' },
  ],
};

export const RSZ_SCHEMA: DatasetSchema = {
  name: 'rsz_employment',
  supplier: 'rsz',
  schedule: 'yearly',
  description: 'Employment per employer and quarter, one year per delivery (synthetic example).',
  columns: [
    { name: 'aangifte_id', role: 'drop' },
    { name: 'insz', role: 'national_id' },
    { name: 'kwartaal', role: 'attribute', type: 'code' },
    { name: 'werkgever_kbo', role: 'attribute', type: 'code' },
    { name: 'paritair_comite', role: 'attribute', type: 'code' },
    { name: 'voltijds_equivalent', role: 'attribute', type: 'number', unit: 'FTE' },
    { name: 'loon_cent', role: 'attribute', type: 'integer', unit: 'EUR cent' },
  ],
};

export const AGODI_SCHEMA: DatasetSchema = {
  name: 'agodi_diplomas',
  supplier: 'agodi',
  schedule: 'yearly',
  description: 'Highest diploma obtained (synthetic example).',
  columns: [
    { name: 'leerling_id', role: 'drop' },
    { name: 'insz', role: 'national_id' },
    { name: 'voornaam', role: 'linkage', type: 'given_name' },
    { name: 'familienaam', role: 'linkage', type: 'surname' },
    { name: 'geboortedatum', role: 'linkage', type: 'date', format: 'YYYY-MM-DD' },
    { name: 'diploma_niveau', role: 'attribute', type: 'code', codes: DIPLOMA_LEVELS },
    { name: 'studiegebied', role: 'attribute', type: 'code', codes: STUDY_FIELDS },
    { name: 'behaald_jaar', role: 'attribute', type: 'integer' },
  ],
};

export const PROJECT: ProjectSpec = {
  title: 'From job seeker to job: employment and wages of job seekers registered in 2024Q1 (synthetic demo)',
  purpose: 'Demonstration: how job seekers\' employment and wages in 2024 vary with education level and region.',
  legal_basis: 'Fictitious deliberation 24/000 for the demo; not a real authorisation',
  valid_from: '2026-01-01',
  valid_to: '2036-12-31',
  researchers: ['researcher:an'],
  approved: {
    vdab_jobseekers: ['birth_year', 'sex', 'nis_code', 'opleidingsniveau', 'werkloosheidsduur_maanden'],
    rsz_employment: ['kwartaal', 'paritair_comite', 'voltijds_equivalent', 'loon_cent'],
    agodi_diplomas: ['diploma_niveau', 'studiegebied', 'behaald_jaar'],
  },
  key_variables: ['birth_year', 'sex', 'nis_code'],
  k: 5,
  // Five-year birth cohorts before suppression; the municipality stays exact, so the small ones
  // are what k-anonymity has to suppress.
  generalise: { birth_year: { band: 5 } },
};

/** The reference period of each example delivery. */
export const PERIODS: Readonly<Record<string, string>> = {
  vdab_jobseekers: '2024Q1',
  rsz_employment: '2024',
  agodi_diplomas: '2024',
};

const PERSON_COLUMNS = { insz: 'insz', given_name: 'voornaam', surname: 'familienaam', date_of_birth: 'geboortedatum' };

/** A `koppel link` job file (design.md) over the two extracts that carry names and birth dates. */
export const LINK_JOB = {
  sources: [
    { name: 'vdab', path: 'vdab_jobseekers.csv', id: RECORD_IDS.vdab.name, columns: PERSON_COLUMNS },
    { name: 'agodi', path: 'agodi_diplomas.csv', id: RECORD_IDS.agodi.name, columns: PERSON_COLUMNS },
  ],
  fields: [
    { name: 'insz', type: 'national_id' },
    { name: 'given_name', type: 'given_name' },
    { name: 'surname', type: 'surname' },
    { name: 'date_of_birth', type: 'date', format: 'YYYY-MM-DD' },
  ],
};
