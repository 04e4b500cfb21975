/** Small constructors for Arrow record batches and tables from already-built column Data. */
import {
  Data, Field, RecordBatch, Schema, Struct, Table, makeData, type DataType,
} from 'apache-arrow';

export function schemaOf(columns: readonly { name: string; type: DataType }[], metadata?: Map<string, string>): Schema {
  return new Schema(columns.map((c) => new Field(c.name, c.type, true)), metadata);
}

/** A record batch whose columns are `columns`, in order; all must have the same length. */
export function recordBatchOf(schema: Schema, columns: readonly Data[]): RecordBatch {
  const length = columns.length === 0 ? 0 : columns[0].length;
  for (let i = 1; i < columns.length; i++) {
    if (columns[i].length !== length) throw new Error(`column ${schema.fields[i].name} has ${columns[i].length} rows, expected ${length}`);
  }
  const struct = makeData({ type: new Struct(schema.fields), length, nullCount: 0, children: columns as Data[] });
  return new RecordBatch(schema, struct);
}

export function tableOf(schema: Schema, batches: RecordBatch[]): Table {
  return new Table(schema, batches);
}
