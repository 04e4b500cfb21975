import t from 'tap';
import { commonKey, deliveryKeys } from '../../../src/pipeline/key-window.js';
import type { DeliveryRecord } from '../../../src/store/index.js';

const OLD = 'k20260101T000000Z-aaaa';
const NEW = 'k20260201T000000Z-bbbb';
const copyUnder = (keyId: string) => `linkage_${keyId.toLowerCase().replace('-', '_')}.arrow`;

function delivery(id: string, keyId: string, copies: string[] = []): DeliveryRecord {
  const files = ['linkage.arrow', 'payload.arrow', ...copies.map(copyUnder)].map((name) => ({ name, bytes: 1, sha256: '0'.repeat(64) }));
  return { id, key_id: keyId, files } as unknown as DeliveryRecord;
}

t.test('a delivery\'s keys are its own and those of its copies', async (t) => {
  t.same(deliveryKeys(delivery('a', OLD)), [OLD]);
  t.same(deliveryKeys(delivery('b', NEW, [OLD])), [NEW, OLD], 'the copy\'s file name gives back the key id');
});

t.test('a job links under the newest key every delivery has', async (t) => {
  const old = delivery('old', OLD);
  const both = delivery('both', NEW, [OLD]);
  const later = delivery('later', NEW);
  t.equal(commonKey([old, old]), OLD);
  t.equal(commonKey([old, both]), OLD, 'old and window deliveries share the old key');
  t.equal(commonKey([both, both]), NEW, 'window deliveries prefer the new key');
  t.equal(commonKey([both, later]), NEW);
  t.throws(() => commonKey([old, later]), { code: 'KOPPEL_ERR_LINK_KEYS_DIFFER', message: /old.*later|later.*old/ }, 'no shared key: refused, naming the deliveries per key');
});
