/** A small Utf8 column from JS strings: for lookup tables (periods, link methods), not rows. */
import { Utf8, makeData, type Data } from 'apache-arrow';

const encoder = new TextEncoder();

export function utf8Column(values: readonly string[]): Data<Utf8> {
  const encoded = values.map((v) => encoder.encode(v));
  const offsets = new Int32Array(values.length + 1);
  for (let i = 0; i < encoded.length; i++) offsets[i + 1] = offsets[i] + encoded[i].length;
  const bytes = new Uint8Array(offsets[values.length]);
  encoded.forEach((e, i) => bytes.set(e, offsets[i]));
  return makeData({ type: new Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data: bytes });
}
