/**
 * A framing check of an Arrow IPC body before apache-arrow decodes it. apache-arrow trusts the
 * lengths in a message's flatbuffer metadata: a vector of field nodes or buffers declared
 * billions long in a few hundred bytes of metadata makes it allocate until the process runs out
 * of heap (found by the ingest fuzz run), before any of Koppel's checks of the batch can run.
 * Each message's metadata (stream framing: 0xFFFFFFFF, int32 length, metadata, body; the file
 * format adds the ARROW1 magic and a footer) is read here with the generated flatbuffer
 * accessors, which report a vector's length without building it, and every vector must fit in
 * the metadata that holds it. The bytes pass through unchanged.
 */
import { ByteBuffer } from 'flatbuffers';
import { Footer } from 'apache-arrow/fb/footer';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch } from 'apache-arrow/fb/record-batch';
import { DictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import { Schema } from 'apache-arrow/fb/schema';
import type { Field } from 'apache-arrow/fb/field';

const STRUCT_BYTES = 16; // FieldNode and Buffer: two int64 each
const BLOCK_BYTES = 24; // a footer Block: int64 offset, int32 length (padded), int64 body length
const OFFSET_BYTES = 4; // a vector of tables holds 4-byte offsets
const MAX_DEPTH = 64;

/** Why the metadata is implausible, or null. */
type Check = (bb: ByteBuffer) => string | null;

function fits(count: number, size: number, bb: ByteBuffer): boolean {
  return count >= 0 && count * size <= bb.capacity();
}

function fieldProblem(field: Field | null, bb: ByteBuffer, depth: number): string | null {
  if (field === null) return 'a field is missing';
  if (depth > MAX_DEPTH) return 'fields are nested too deep';
  const children = field.childrenLength();
  if (!fits(children, OFFSET_BYTES, bb)) return 'a field declares more children than its metadata holds';
  for (let i = 0; i < children; i++) {
    const problem = fieldProblem(field.children(i), bb, depth + 1);
    if (problem !== null) return problem;
  }
  return fits(field.customMetadataLength(), OFFSET_BYTES, bb) ? null : 'a field declares more metadata than it holds';
}

function schemaProblem(schema: Schema | null, bb: ByteBuffer): string | null {
  if (schema === null) return 'a schema is missing';
  const fields = schema.fieldsLength();
  if (!fits(fields, OFFSET_BYTES, bb) || !fits(schema.customMetadataLength(), OFFSET_BYTES, bb)) return 'the schema declares more fields than its metadata holds';
  for (let i = 0; i < fields; i++) {
    const problem = fieldProblem(schema.fields(i), bb, 0);
    if (problem !== null) return problem;
  }
  return null;
}

function batchProblem(batch: RecordBatch | null, bb: ByteBuffer): string | null {
  if (batch === null) return 'a record batch is missing';
  if (!fits(batch.nodesLength(), STRUCT_BYTES, bb) || !fits(batch.buffersLength(), STRUCT_BYTES, bb)) return 'a record batch declares more field nodes or buffers than its metadata holds';
  return null;
}

const checkMessage: Check = (bb) => {
  const message = Message.getRootAsMessage(bb);
  if (!fits(message.customMetadataLength(), OFFSET_BYTES, bb)) return 'a message declares more metadata than it holds';
  switch (message.headerType()) {
    case MessageHeader.Schema: return schemaProblem(message.header(new Schema()) as Schema | null, bb);
    case MessageHeader.RecordBatch: return batchProblem(message.header(new RecordBatch()) as RecordBatch | null, bb);
    case MessageHeader.DictionaryBatch: return batchProblem((message.header(new DictionaryBatch()) as DictionaryBatch | null)?.data() ?? null, bb);
    default: return null; // other message types are refused by apache-arrow itself
  }
};

const checkFooter: Check = (bb) => {
  const footer = Footer.getRootAsFooter(bb);
  if (!fits(footer.recordBatchesLength(), BLOCK_BYTES, bb) || !fits(footer.dictionariesLength(), BLOCK_BYTES, bb)) return 'the file footer declares more blocks than it holds';
  return schemaProblem(footer.schema(), bb);
};

/** The flatbuffer check of `bytes`, turning a thrown read past its end into a finding. */
function inspect(bytes: Uint8Array, check: Check): string | null {
  try {
    return check(new ByteBuffer(bytes));
  } catch {
    return 'its metadata cannot be read';
  }
}


/**
 * The same check as the bytes stream by: each message's metadata is held until it is whole and
 * checked before any of it is passed on; bodies pass through as they arrive. After the
 * end-of-stream marker everything passes (what follows is refused by the reader).
 */
export async function* checkedIpcStream(chunks: AsyncIterable<Uint8Array>, isFile: boolean, refuse: (why: string) => Error): AsyncGenerator<Uint8Array> {
  let held: Uint8Array = new Uint8Array(0);
  let magicLeft = isFile ? 8 : 0;
  let bodyLeft = 0;
  let ended = false;
  // A file's footer follows its end-of-stream marker; apache-arrow reads a file whole before
  // it parses the footer, so refusing it when the body has ended is still in time.
  const tail: Uint8Array[] = [];
  for await (const chunk of chunks) {
    held = held.length === 0 ? chunk : concat(held, chunk);
    while (held.length > 0) {
      if (ended || bodyLeft > 0 || magicLeft > 0) {
        const n = ended ? held.length : Math.min(bodyLeft > 0 ? bodyLeft : magicLeft, held.length);
        const out = held.subarray(0, n);
        if (ended && isFile) tail.push(out);
        yield out;
        held = held.subarray(n);
        if (magicLeft > 0) magicLeft -= n;
        else if (!ended) bodyLeft -= n;
        continue;
      }
      const frame = frameAt(held);
      if (frame === null) break; // wait for more bytes
      if (typeof frame === 'string') throw refuse(frame);
      yield held.subarray(0, frame.headerBytes);
      held = held.subarray(frame.headerBytes);
      if (frame.end) ended = true;
      else bodyLeft = frame.bodyLength;
    }
  }
  if (held.length > 0) {
    if (isFile) tail.push(held);
    yield held;
  }
  if (isFile) {
    const problem = footerProblem(tail.length === 1 ? tail[0] : tail.reduce(concat, new Uint8Array(0)));
    if (problem !== null) throw refuse(problem);
  }
}

/** The footer check of a file's bytes after its end-of-stream marker (footer, its length, ARROW1). */
function footerProblem(after: Uint8Array): string | null {
  if (after.length < 10) return null; // a truncated file is refused by the reader
  const footerLength = new DataView(after.buffer, after.byteOffset, after.byteLength).getInt32(after.length - 10, true);
  if (footerLength <= 0 || footerLength > after.length - 10) return 'the file footer is longer than the file';
  return inspect(after.subarray(after.length - 10 - footerLength, after.length - 10), checkFooter);
}

/** The message framed at the start of `bytes`: checked, or why not, or null while incomplete. */
function frameAt(bytes: Uint8Array): { headerBytes: number; bodyLength: number; end: boolean } | string | null {
  if (bytes.length < 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prefix = view.getInt32(0, true) === -1 ? 8 : 4;
  const length = view.getInt32(prefix - 4, true);
  if (length === 0) return { headerBytes: prefix, bodyLength: 0, end: true };
  if (length < 0) return 'a message has a negative length';
  if (bytes.length < prefix + length) return null;
  const meta = bytes.subarray(prefix, prefix + length);
  const problem = inspect(meta, checkMessage);
  if (problem !== null) return problem;
  const body = Number(Message.getRootAsMessage(new ByteBuffer(meta)).bodyLength());
  if (!Number.isSafeInteger(body) || body < 0) return 'a message body has an impossible length';
  return { headerBytes: prefix + length, bodyLength: body, end: false };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
