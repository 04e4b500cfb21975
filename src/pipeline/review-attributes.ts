/**
 * What a reviewer may see of a record: the attributes the project approves for release from
 * its dataset, key variables recoded by the project's fixed rule (`generalise`) as its release
 * would, and key variables whose recoding the release chooses at build time (`hierarchies`)
 * withheld. Linkage columns and the national number are never among them: a project approves
 * attributes only, and this reads only columns the dataset schema declares as attributes.
 */
import { KoppelError } from '../errors.js';
import type { ProjectRecord } from '../store/index.js';
import type { RecordRef } from '../store/review-decisions.js';
import { canGeneralise, generaliseColumn } from '../release/generalise.js';
import { concatNumbers } from '../util/arrow-columns.js';
import type { PipelineContext } from './context.js';

export interface RecordView extends RecordRef {
  readonly dataset: string;
  readonly period: string;
  readonly attributes: Readonly<Record<string, string | number | boolean | null>>;
  /** Key variables left out: their recoding is chosen when a release is built. */
  readonly withheld: readonly string[];
}

function plain(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value);
}

export async function recordAttributes(ctx: PipelineContext, project: ProjectRecord, ref: RecordRef): Promise<RecordView> {
  const delivery = ctx.store.getDelivery(ref.delivery);
  if (delivery === null) throw new KoppelError('KOPPEL_ERR_STORE_NOT_FOUND', `no delivery ${ref.delivery}`, { delivery: ref.delivery });
  const schema = ctx.store.getDataset(delivery.dataset)!.schema;
  const declared = new Set(schema.columns.filter((c) => c.role === 'attribute').map((c) => c.name));
  const payload = await ctx.store.readDeliveryFile(ref.delivery, 'payload');
  const rows = concatNumbers(payload, 'row', (n) => new Uint32Array(n));
  const index = rows.indexOf(ref.row);
  if (index < 0) throw new KoppelError('KOPPEL_ERR_STORE_CORRUPT', `delivery ${ref.delivery} has no payload row ${ref.row}`, { delivery: ref.delivery, row: ref.row });
  const keys = new Set(project.key_variables);
  const attributes: Record<string, string | number | boolean | null> = {};
  const withheld: string[] = [];
  for (const name of project.approved[delivery.dataset] ?? []) {
    const column = payload.getChild(name);
    if (!declared.has(name) || column === null) continue;
    const value = column.get(index);
    const rule = project.generalise?.[name];
    if (keys.has(name) && rule !== undefined && canGeneralise(column.type, rule)) {
      attributes[name] = plain(vectorFromGeneralised(column.slice(index, index + 1), rule));
    } else if (keys.has(name) && project.hierarchies?.[name] !== undefined) {
      withheld.push(name);
    } else {
      attributes[name] = plain(value);
    }
  }
  return { ...ref, dataset: delivery.dataset, period: delivery.period, attributes, withheld };
}

/** The one value of a one-row column, recoded (a band or prefix label). */
function vectorFromGeneralised(column: Parameters<typeof generaliseColumn>[0], rule: Parameters<typeof generaliseColumn>[1]): unknown {
  const data = generaliseColumn(column, rule);
  const dictionary = data.dictionary;
  if (dictionary === undefined || data.nullCount > 0) return null;
  return dictionary.get((data.values as Int32Array)[0]);
}
