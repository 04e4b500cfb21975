/**
 * The job file of `koppel link` (design.md "Job file for `koppel link`", a contract): parsed and
 * validated once into typed settings, by the job schema the server's job bodies share
 * (job-schema.ts). Every problem is collected and reported together in one
 * KOPPEL_ERR_LINK_BAD_JOB whose message names the file, the source, the field and the column.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { KoppelError } from '../errors.js';
import type { FieldType } from '../model.js';
import { blockingRules, jobFileShapeProblems, settingsProblems } from './job-schema.js';
import type { LinkEngineName } from '../link/link-engine.js';

export type Delimiter = ',' | ';' | '\t';

export interface JobSource {
  readonly name: string;
  /** Absolute path (resolved against the job file's folder). */
  readonly path: string;
  /** The path as written in the job file (for messages). */
  readonly pathAsWritten: string;
  /** The column holding the source's own record ids. */
  readonly id: string;
  readonly unique: boolean;
  /** Field name -> this source's column name. */
  readonly columns: Readonly<Record<string, string>>;
  readonly delimiter: Delimiter | null;
  readonly encoding: 'utf-8' | 'latin1';
}

export interface JobField {
  readonly name: string;
  readonly type: FieldType;
  readonly format?: string;
}

export interface JobFile {
  /** The job file's own path. */
  readonly file: string;
  readonly sources: readonly JobSource[];
  readonly fields: readonly JobField[];
  readonly blocking: readonly (readonly string[])[] | null;
  readonly threshold: number | null;
  readonly oneToOne: boolean;
  readonly deduplicate: boolean;
  /** Where the pseudonym join, blocking and comparison run (link-engine.ts). */
  readonly engine: LinkEngineName;
}

/** The column a source uses for a field. */
export function columnFor(source: JobSource, field: string): string {
  return source.columns[field] ?? field;
}

export function readJobFile(path: string): JobFile {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `Job file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`, { file: path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `Job file ${path} is not valid JSON.`, { file: path });
  }
  return parseJob(json, path, dirname(file));
}

/**
 * Validates a parsed job (`where` names it in messages; paths resolve against `baseDir`): its
 * shape by the job schema (job-schema.ts), then the checks that span settings, which the server
 * runs on job bodies too. Every problem is listed in one KOPPEL_ERR_LINK_BAD_JOB.
 */
export function parseJob(json: unknown, where: string, baseDir: string): JobFile {
  if (!isObject(json)) throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `Job file ${where}: the top level must be a JSON object.`, { file: where });
  // null stands for "not given" in the job file, as it always has.
  const job = Object.fromEntries(Object.entries(json).filter(([k, v]) => !((k === 'blocking' || k === 'threshold') && v === null)));
  const problems = jobFileShapeProblems(job);
  const fields = listOf(job.fields).filter((f) => typeof f.name === 'string' && typeof f.type === 'string') as unknown as JobField[];
  const sources = listOf(job.sources);
  const columns = new Map(sources.filter((s) => isObject(s.columns)).map((s) => [`source ${typeof s.name === 'string' ? s.name : '?'}`, s.columns as Record<string, string>]));
  const blocking = Array.isArray(job.blocking) ? job.blocking.filter((r) => typeof r === 'string' || (Array.isArray(r) && r.every((x) => typeof x === 'string'))) as (string | string[])[] : null;
  problems.push(...settingsProblems({ fields, blocking, columns, dateFormats: true }));
  const names = new Set<string>();
  for (const s of sources) {
    if (typeof s.name !== 'string') continue;
    if (names.has(s.name)) problems.push(`source ${s.name} is named twice`);
    names.add(s.name);
    if (typeof s.encoding === 'string' && encodingOf(s.encoding) === null) problems.push(`source ${s.name}: encoding must be utf-8 or latin1`);
  }
  if (problems.length > 0) {
    throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `Job file ${where} is invalid: ${[...new Set(problems)].join('; ')}.`, { file: where, problems: problems.length });
  }
  return {
    file: where,
    sources: sources.map((s) => sourceOf(s, baseDir)),
    fields: fields.map((f) => ({ name: f.name, type: f.type, ...(f.type === 'date' ? { format: f.format } : {}) })),
    blocking: blocking === null ? null : blockingRules(blocking),
    threshold: typeof job.threshold === 'number' ? job.threshold : null,
    oneToOne: job.one_to_one !== false,
    deduplicate: job.deduplicate === true,
    engine: (job.engine ?? 'in-process') as LinkEngineName,
  };
}

/** A source of a job file whose shape was checked. */
function sourceOf(s: Record<string, unknown>, baseDir: string): JobSource {
  const d = s.delimiter === 'tab' ? '\t' : s.delimiter as Delimiter | undefined;
  return {
    name: s.name as string, path: resolve(baseDir, s.path as string), pathAsWritten: s.path as string, id: s.id as string,
    unique: s.unique !== false, columns: (s.columns ?? {}) as Record<string, string>,
    delimiter: d ?? null, encoding: s.encoding === undefined ? 'utf-8' : encodingOf(s.encoding as string)!,
  };
}

function encodingOf(name: string): 'utf-8' | 'latin1' | null {
  const e = name.toLowerCase();
  if (e === 'utf-8' || e === 'utf8') return 'utf-8';
  if (e === 'latin1' || e === 'latin-1' || e === 'iso-8859-1' || e === 'windows-1252') return 'latin1';
  return null;
}

function listOf(x: unknown): Record<string, unknown>[] {
  return Array.isArray(x) ? x.filter(isObject) : [];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
