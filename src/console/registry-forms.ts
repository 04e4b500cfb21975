/**
 * The register forms' controls and the request bodies built from them. Each control carries the
 * API schema's rule (pattern, bounds, required), so the browser refuses what the API would;
 * the JSON parts (columns, approved variables) are parsed and shape-checked here.
 */
import { field, h } from './dom.js';
import { t } from './i18n.js';
import type { MessageKey } from './messages.js';

const NAME = '^[a-z][a-z0-9_]{0,62}$';
const SUPPLIER = '^[A-Za-z0-9._\\-]{1,64}$';
const RESEARCHER = /^researcher:[A-Za-z0-9._-]{1,64}$/;

function input(name: string, attrs: Record<string, string | number | boolean> = {}): HTMLInputElement {
  return h('input', { name, autocomplete: 'off', ...attrs });
}

function area(name: string, placeholder: string, required = true): HTMLTextAreaElement {
  return h('textarea', { name, rows: 5, required, placeholder, spellcheck: 'false' });
}

function parseJson(text: string, label: MessageKey): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(t('form.bad_json', { field: t(label) }));
  }
}

function list(text: string): string[] {
  return text.split(',').map((x) => x.trim()).filter((x) => x !== '');
}

export function datasetFields() {
  const c = {
    name: input('name', { required: true, pattern: NAME, maxlength: 63 }),
    supplier: input('supplier', { required: true, pattern: SUPPLIER }),
    schedule: h('select', { name: 'schedule', required: true }, ['quarterly', 'monthly', 'yearly', 'adhoc'].map((v) => h('option', { value: v }, t(`schedule.${v}` as MessageKey)))),
    dueDays: input('due_days', { type: 'number', min: 0, max: 366, step: 1 }),
    description: h('textarea', { name: 'description', rows: 2, maxlength: 2000 }),
    columns: area('columns', '[{ "name": "insz", "role": "national_id" }, { "name": "birth_year", "role": "attribute", "type": "number" }]'),
  };
  const elements = [
    h('div', { class: 'row' }, field(t('datasets.name'), c.name, t('form.name_hint')), field(t('datasets.supplier'), c.supplier, t('form.supplier_hint'))),
    h('div', { class: 'row' }, field(t('datasets.schedule'), c.schedule), field(t('datasets.due_days'), c.dueDays, t('form.due_days_hint'))),
    field(t('datasets.description'), c.description),
    field(t('datasets.columns'), c.columns, t('form.columns_hint')),
  ];
  return { ...c, elements };
}

export function datasetBody(c: ReturnType<typeof datasetFields>): object {
  const columns = parseJson(c.columns.value, 'datasets.columns');
  if (!Array.isArray(columns) || columns.length === 0 || !columns.every((x) => typeof x === 'object' && x !== null && typeof x.name === 'string' && typeof x.role === 'string')) {
    throw new Error(t('form.bad_columns'));
  }
  return {
    name: c.name.value, supplier: c.supplier.value, schedule: c.schedule.value, columns,
    ...(c.dueDays.value === '' ? {} : { due_days: Number(c.dueDays.value) }),
    ...(c.description.value.trim() === '' ? {} : { description: c.description.value.trim() }),
  };
}

export function projectFields(datasets: readonly string[]) {
  const c = {
    title: input('title', { required: true, maxlength: 500 }),
    purpose: h('textarea', { name: 'purpose', rows: 3, required: true, maxlength: 5000 }),
    legalBasis: input('legal_basis', { required: true, maxlength: 500 }),
    validFrom: input('valid_from', { type: 'date', required: true }),
    validTo: input('valid_to', { type: 'date', required: true }),
    researchers: input('researchers', { required: true, placeholder: 'researcher:an, researcher:bo' }),
    approved: area('approved', `{ "${datasets[0] ?? 'dataset'}": ["birth_year", "sex"] }`),
    keyVariables: input('key_variables', { placeholder: 'birth_year, sex' }),
    k: input('k', { type: 'number', min: 2, max: 1000, step: 1, required: true, value: 5 }),
  };
  const elements = [
    field(t('project.title'), c.title), field(t('project.purpose'), c.purpose), field(t('project.legal_basis'), c.legalBasis),
    h('div', { class: 'row' }, field(t('project.valid_from'), c.validFrom), field(t('project.valid_to'), c.validTo)),
    field(t('project.researchers'), c.researchers, t('form.researchers_hint')),
    field(t('project.approved'), c.approved, t('form.approved_hint', { datasets: datasets.join(', ') })),
    h('div', { class: 'row' }, field(t('project.key_variables'), c.keyVariables, t('form.list_hint')), field('k', c.k, t('form.k_hint'))),
  ];
  return { ...c, elements };
}

export function projectBody(c: ReturnType<typeof projectFields>): object {
  const researchers = list(c.researchers.value);
  const bad = researchers.find((r) => !RESEARCHER.test(r));
  if (researchers.length === 0 || bad !== undefined) throw new Error(t('form.bad_researcher', { value: bad ?? '' }));
  if (c.validTo.value < c.validFrom.value) throw new Error(t('form.bad_validity'));
  const approved = parseJson(c.approved.value, 'project.approved');
  if (typeof approved !== 'object' || approved === null || Array.isArray(approved) || Object.keys(approved).length === 0
    || !Object.values(approved).every((v) => Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
    throw new Error(t('form.bad_approved'));
  }
  return {
    title: c.title.value.trim(), purpose: c.purpose.value.trim(), legal_basis: c.legalBasis.value.trim(),
    valid_from: c.validFrom.value, valid_to: c.validTo.value, researchers, approved,
    key_variables: list(c.keyVariables.value), k: Number(c.k.value),
  };
}
