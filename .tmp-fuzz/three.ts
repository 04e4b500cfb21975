import { readFileSync } from 'node:fs';
import { MessageReader, MessageHeader } from 'apache-arrow';
const c = JSON.parse(readFileSync('/tmp/fuzz-oom.json', 'utf8'));
const bytes = Buffer.from(c.bytes, 'base64');
const r = new MessageReader(bytes.subarray(8));
for (let i = 0; i < 5; i++) {
  const m = r.readMessage();
  if (m === null) break;
  console.log('msg', MessageHeader[m.headerType], 'bodyLength', Number(m.bodyLength));
  if (m.isRecordBatch()) { const h = m.header(); console.log('len', h.length, 'nodes', h.nodes.map((n) => `${n.length}/${n.nullCount}`).join(' '), 'buffers', h.buffers.map((b) => `${b.offset}+${b.length}`).join(' ')); }
  r.readMessageBody(m.bodyLength);
}
