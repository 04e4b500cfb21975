import t from 'tap';
import { Field, Int32, Schema } from 'apache-arrow';
import { DELIVERY_FORMAT, deliveryFormatMetadata, deliveryFormatOf } from '../../../src/pipeline/delivery-format.js';

const schemaWith = (metadata?: Map<string, string>) => new Schema([new Field('row', new Int32())], metadata);

t.test('a schema without the entry is format 0; the entry written now reads as the current format', async (t) => {
  t.equal(deliveryFormatOf(schemaWith(), 'x.arrow'), 0);
  t.equal(deliveryFormatOf(schemaWith(deliveryFormatMetadata()), 'x.arrow'), DELIVERY_FORMAT);
  t.equal(deliveryFormatOf(schemaWith(new Map([['other', 'entry']])), 'x.arrow'), 0, 'other metadata does not matter');
});

t.test('an unknown format is refused with KOPPEL_ERR_STORE_UNKNOWN_FORMAT naming the file', async (t) => {
  for (const raw of [String(DELIVERY_FORMAT + 1), '999999', 'two', '', '-1', '1.5', ' 1']) {
    t.throws(() => deliveryFormatOf(schemaWith(new Map([['koppel:delivery_format', raw]])), 'deliveries/dlv_x/linkage.arrow'), {
      code: 'KOPPEL_ERR_STORE_UNKNOWN_FORMAT', details: { file: 'deliveries/dlv_x/linkage.arrow', known: DELIVERY_FORMAT },
    }, JSON.stringify(raw));
  }
});
