/**
 * A protected table's outputs, for people and for statistical tools:
 *
 *  - `table.csv`: one row per cell (totals and subtotals included), a column per dimension,
 *    `value` (empty where suppressed) and `flag`: published, primary or secondary;
 *  - `table.json`: JSON-stat 2.0 (json-stat.org/format), one dataset: `value` null where
 *    suppressed, `status` "p" (primary) or "s" (secondary) there; `category.child` gives
 *    each dimension's hierarchy;
 *  - for open data, `datapackage.json`: a Frictionless data package
 *    (specs.frictionlessdata.io/data-package) whose one resource is table.csv with its table
 *    schema, and a DCAT-AP record (JSON-LD) a catalogue can harvest.
 *
 * Cells are numbered as in table-shape.ts; the CSV lists them in that order.
 */
import { PRIMARY, PUBLISHED, SECONDARY } from './primary-suppression.js';
import type { TableShape } from './table-shape.js';

export const FLAG_NAMES: Readonly<Record<number, string>> = { [PUBLISHED]: 'published', [PRIMARY]: 'primary', [SECONDARY]: 'secondary' };

export interface TableMeta {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly measure: string;
}

/** The labels of a cell, one per dimension. */
export function cellLabels(shape: TableShape, cell: number): string[] {
  return shape.dims.map((tree, d) => tree.labels[Math.floor(cell / shape.strides[d]) % tree.size]);
}

/** A CSV field: quoted when needed; a leading = + - @ is neutralised (formula injection). */
function field(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function number(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 1e6) / 1e6);
}

export function tableCsv(shape: TableShape, published: Float64Array, status: Uint8Array): Uint8Array {
  const lines = [[...shape.dims.map((d) => field(d.name)), 'value', 'flag'].join(',')];
  for (let c = 0; c < shape.cells; c++) {
    const labels = cellLabels(shape, c).map(field);
    lines.push(`${labels.join(',')},${status[c] === PUBLISHED ? number(published[c]) : ''},${FLAG_NAMES[status[c]]}`);
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** JSON-stat 2.0: the category index of each dimension is its node order (leaves, groups, total). */
export function jsonStat(meta: TableMeta, shape: TableShape, published: Float64Array, status: Uint8Array, updated: string): Uint8Array {
  const dimension: Record<string, unknown> = {};
  for (const tree of shape.dims) {
    const index: Record<string, number> = {};
    const label: Record<string, string> = {};
    tree.labels.forEach((l, i) => { index[`${i}`] = i; label[`${i}`] = l; });
    // JSON-stat's own hierarchy: each group's and the total's children, so a reader (koppel
    // table --earlier) recovers the additive structure, not only the labels.
    const child: Record<string, string[]> = {};
    for (let v = 0; v < tree.size; v++) {
      if (tree.childStart[v + 1] > tree.childStart[v]) child[`${v}`] = Array.from(tree.children.subarray(tree.childStart[v], tree.childStart[v + 1]), (c) => `${c}`);
    }
    dimension[tree.name] = { label: tree.name, category: { index, label, child } };
  }
  const value: (number | null)[] = [];
  const flags: Record<string, string> = {};
  for (let c = 0; c < shape.cells; c++) {
    value.push(status[c] === PUBLISHED ? Number(number(published[c])) : null);
    if (status[c] !== PUBLISHED) flags[`${c}`] = status[c] === PRIMARY ? 'p' : 's';
  }
  const doc = {
    version: '2.0', class: 'dataset', label: meta.title, source: 'Koppel', updated,
    note: [meta.description, `Measure: ${meta.measure}. Status p: suppressed (primary, a disclosure rule); s: suppressed (secondary, protects a primary cell).`],
    id: shape.dims.map((d) => d.name), size: shape.dims.map((d) => d.size),
    dimension, value, status: flags,
  };
  return Buffer.from(JSON.stringify(doc));
}

export interface OpenDataMeta extends TableMeta {
  readonly licence: string;
  readonly publisher: string;
  readonly spatial?: string;
  readonly temporal?: { readonly start: string; readonly end: string };
  readonly keywords?: readonly string[];
}

/** Frictionless data package: table.csv and its table schema (fields, missing values, primary key). */
export function dataPackage(meta: OpenDataMeta, shape: TableShape, version: number | null): Uint8Array {
  const doc = {
    profile: 'tabular-data-package',
    name: meta.name.replaceAll('_', '-'),
    title: meta.title,
    description: meta.description,
    ...(version === null ? {} : { version: `${version}.0.0` }),
    licenses: [{ name: meta.licence, path: licencePath(meta.licence), title: meta.licence }],
    contributors: [{ title: meta.publisher, role: 'publisher' }],
    ...(meta.keywords === undefined ? {} : { keywords: meta.keywords }),
    resources: [{
      profile: 'tabular-data-resource', name: 'table', path: 'table.csv', format: 'csv', mediatype: 'text/csv', encoding: 'utf-8',
      schema: {
        fields: [
          ...shape.dims.map((d) => ({ name: d.name, type: 'string', constraints: { required: true } })),
          { name: 'value', type: 'number', description: `${meta.measure}; empty where suppressed` },
          { name: 'flag', type: 'string', constraints: { required: true, enum: Object.values(FLAG_NAMES) } },
        ],
        missingValues: [''],
        primaryKey: shape.dims.map((d) => d.name),
      },
    }],
  };
  return Buffer.from(JSON.stringify(doc, null, 2));
}

function licencePath(licence: string): string {
  const known: Record<string, string> = {
    'CC-BY-4.0': 'https://creativecommons.org/licenses/by/4.0/',
    'CC0-1.0': 'https://creativecommons.org/publicdomain/zero/1.0/',
    'ODbL-1.0': 'https://opendatacommons.org/licenses/odbl/1-0/',
    'Modellicentie-Gratis-Hergebruik-v1.0': 'https://data.vlaanderen.be/id/licentie/modellicentie-gratis-hergebruik/v1.0',
  };
  return known[licence] ?? licence;
}

/** A DCAT-AP dataset record (JSON-LD), its distributions at `base` (the table's stable URL). */
export function dcatRecord(meta: OpenDataMeta, base: string, modified: string): Record<string, unknown> {
  const distribution = (file: string, format: string, mediaType: string) => ({
    '@type': 'dcat:Distribution', 'dcat:accessURL': { '@id': `${base}/${file}` }, 'dcat:downloadURL': { '@id': `${base}/${file}` },
    'dct:format': format, 'dcat:mediaType': mediaType, 'dct:license': { '@id': licencePath(meta.licence) },
  });
  return {
    '@context': { dcat: 'http://www.w3.org/ns/dcat#', dct: 'http://purl.org/dc/terms/', foaf: 'http://xmlns.com/foaf/0.1/', xsd: 'http://www.w3.org/2001/XMLSchema#' },
    '@id': base,
    '@type': 'dcat:Dataset',
    'dct:title': meta.title,
    'dct:description': meta.description,
    'dct:publisher': { '@type': 'foaf:Agent', 'foaf:name': meta.publisher },
    'dct:license': { '@id': licencePath(meta.licence) },
    'dct:modified': { '@value': modified, '@type': 'xsd:dateTime' },
    ...(meta.spatial === undefined ? {} : { 'dct:spatial': meta.spatial }),
    ...(meta.temporal === undefined ? {} : {
      'dct:temporal': { '@type': 'dct:PeriodOfTime', 'dcat:startDate': { '@value': meta.temporal.start, '@type': 'xsd:date' }, 'dcat:endDate': { '@value': meta.temporal.end, '@type': 'xsd:date' } },
    }),
    ...(meta.keywords === undefined ? {} : { 'dcat:keyword': meta.keywords }),
    'dcat:distribution': [
      distribution('table.csv', 'CSV', 'text/csv'),
      distribution('table.json', 'JSON-stat', 'application/json'),
      distribution('table.sdmx.csv', 'SDMX-CSV', 'application/vnd.sdmx.data+csv; version=2.0.0'),
      distribution('datapackage.json', 'Frictionless Data Package', 'application/json'),
    ],
  };
}
