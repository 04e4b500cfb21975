import { readFileSync } from 'node:fs';
import { RecordBatchReader } from 'apache-arrow';
const c = JSON.parse(readFileSync('/tmp/fuzz-oom.json', 'utf8'));
const bytes = Buffer.from(c.bytes, 'base64');
console.log('len', bytes.length);
const reader = RecordBatchReader.from(bytes);
reader.open();
console.log('schema', reader.schema?.fields.map((f) => `${f.name}:${f.type}`).join(','));
let i = 0;
for (const b of reader) { console.log('batch', i++, b.numRows, b.data.children.map((c) => c.length).join(',')); if (i > 5) break; }
console.log('done');
