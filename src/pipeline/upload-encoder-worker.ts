/**
 * Worker-thread entry of the upload encoder (upload-encoder.ts): one LinkageEncoder per open
 * upload session; encodings go back with their buffers moved, not copied. The cleartext
 * columns it receives are dropped once encoded.
 */
import { Utf8, makeData } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import type { FieldType } from '../model.js';
import { Transfer, serveTasks } from '../util/worker-pool.js';
import { LinkageEncoder } from './linkage-encoding.js';
import type { EncodeTasks } from './upload-encoder.js';

const sessions = new Map<number, LinkageEncoder>();

serveTasks<EncodeTasks>({
  open({ session, columns, keys }) {
    const encode = (type: FieldType) => {
      const key = keys.encode[type];
      if (key === undefined) throw new Error(`no encoding key for type ${type}`);
      return key;
    };
    sessions.set(session, new LinkageEncoder(columns, { encode, nationalId: keys.nationalId }, false));
  },
  async encode({ session, columns }) {
    const encoder = sessions.get(session);
    if (encoder === undefined) {
      // The worker was replaced after a crash: the upload's encoder state went with it.
      throw new KoppelError('KOPPEL_ERR_LINK_WORKER_FAILED', 'The upload encoder stopped during this upload; send the upload again.', {});
    }
    const cleartext = new Map(Object.entries(columns).map(([name, c]) => [name, makeData({
      type: new Utf8(), length: c.length, valueOffsets: c.valueOffsets, data: c.values,
      nullBitmap: c.nullBitmap ?? undefined, nullCount: c.nullCount,
    })]));
    const encoded = await encoder.encodeColumns(cleartext);
    const buffers = new Set<ArrayBuffer>();
    for (const e of encoded) for (const a of [e.present, e.tokens, e.bloom]) {
      // Only a buffer the array has to itself moves; a view's is copied.
      if (a !== null && a.buffer instanceof ArrayBuffer && a.byteLength === a.buffer.byteLength) buffers.add(a.buffer);
    }
    return new Transfer(encoded, [...buffers]);
  },
  close({ session }) {
    sessions.delete(session);
  },
});
