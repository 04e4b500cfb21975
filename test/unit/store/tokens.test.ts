import t from 'tap';
import path from 'node:path';
import Database from 'better-sqlite3';
import { canonicalPrincipal, SYSTEM_PRINCIPAL } from '../../../src/model.js';
import { parsePrincipal } from '../../../src/store/index.js';
import { storeFixture } from './store-fixture.js';

t.test('a created token authenticates as its principal', async (t) => {
  const { store } = storeFixture(t);
  const { tokenId, token } = store.createToken('supplier:vdab', 'operator:root');
  t.match(tokenId, /^tok_[0-9a-f]{20}$/);
  t.match(token, new RegExp(`^kpl_${tokenId}_[A-Za-z0-9_-]{43}$`));
  t.same(store.authenticate(token), { role: 'supplier', name: 'vdab', id: 'supplier:vdab' });
});

t.test('only a hash of the secret is stored, never the token', async (t) => {
  const { store, dataDir } = storeFixture(t);
  const { token } = store.createToken('operator:an');
  const secret = token.split('_').slice(3).join('_');
  store.close();
  const fs = await import('node:fs');
  for (const name of fs.readdirSync(dataDir)) {
    if (!name.startsWith('koppel.db')) continue;
    const bytes = fs.readFileSync(`${dataDir}/${name}`);
    t.equal(bytes.indexOf(secret), -1, `${name} does not contain the secret`);
  }
});

t.test('a wrong secret, a malformed token or an unknown id does not authenticate', async (t) => {
  const { store } = storeFixture(t);
  const { token, tokenId } = store.createToken('operator:an');
  const last = token.at(-1) === 'A' ? 'B' : 'A';
  t.equal(store.authenticate(token.slice(0, -1) + last), null, 'one character changed');
  t.equal(store.authenticate(token.replace(tokenId, 'tok_00000000000000000000')), null, 'unknown id');
  t.equal(store.authenticate(''), null);
  t.equal(store.authenticate('Bearer whatever'), null);
  t.equal(store.authenticate(`${token}x`), null, 'too long');
});

t.test('a revoked token no longer authenticates and revoking twice reports false', async (t) => {
  const { store } = storeFixture(t);
  const { token, tokenId } = store.createToken('researcher:an');
  const other = store.createToken('researcher:bo');
  t.equal(store.revokeToken(tokenId), true);
  t.equal(store.authenticate(token), null);
  t.equal(store.revokeToken(tokenId), false);
  t.equal(store.revokeToken('tok_ffffffffffffffffffff'), false);
  t.ok(store.authenticate(other.token), 'other tokens are unaffected');
  const listed = store.listTokens();
  const byId = new Map(listed.map((x) => [x.tokenId, x]));
  t.equal(listed.length, 2);
  t.equal(byId.get(tokenId)?.principal, 'researcher:an');
  t.type(byId.get(tokenId)?.revokedAt, 'string');
  t.equal(byId.get(other.tokenId)?.revokedAt, null);
  t.notOk(JSON.stringify(listed).includes(token.split('_').slice(3).join('_')), 'the listing holds no secret');
});

t.test('tokens survive reopening the store', async (t) => {
  const fx = storeFixture(t);
  const { token } = fx.store.createToken('operator:an');
  fx.store.close();
  t.same(fx.reopen({ keyring: null }).authenticate(token)?.id, 'operator:an');
});

t.test('a principal that is not role:name is KOPPEL_ERR_AUTH_BAD_ROLE', async (t) => {
  const { store } = storeFixture(t);
  for (const bad of ['admin:x', 'operator:', 'operator', 'operator:a b', 'supplier:a/b', `operator:${'x'.repeat(65)}`]) {
    t.throws(() => store.createToken(bad), { code: 'KOPPEL_ERR_AUTH_BAD_ROLE' }, bad);
  }
  t.same(parsePrincipal('operator:an.de-wit_2'), { role: 'operator', name: 'an.de-wit_2', id: 'operator:an.de-wit_2' });
});

t.test('system:koppel, the principal that runs recurrent products, can never hold a token', async (t) => {
  const { store } = storeFixture(t);
  for (const text of ['system:koppel', ' System:Koppel ', 'system:other']) {
    t.equal(canonicalPrincipal(text), null, `${text} is no token principal`);
    t.throws(() => store.createToken(text), { code: 'KOPPEL_ERR_AUTH_BAD_ROLE', message: /never hold a token/ }, text);
  }
  t.throws(() => parsePrincipal(SYSTEM_PRINCIPAL.id), { code: 'KOPPEL_ERR_AUTH_BAD_ROLE' });
  t.same(store.listTokens(), [], 'no token was made');
});

t.test('a token row rewritten to name system:koppel does not authenticate', async (t) => {
  const fx = storeFixture(t);
  const { token, tokenId } = fx.store.createToken('operator:o1');
  const db = new Database(path.join(fx.dataDir, 'koppel.db'));
  db.prepare('UPDATE tokens SET principal = ? WHERE token_id = ?').run(SYSTEM_PRINCIPAL.id, tokenId);
  db.close();
  t.equal(fx.store.authenticate(token), null);
  t.throws(() => fx.store.verifyToken(token), { code: 'KOPPEL_ERR_AUTH_BAD_ROLE' });
});

t.test('principals are stored and compared in one spelling', async (t) => {
  const { store } = storeFixture(t);
  const made = store.createToken(' Operator:OPS ');
  t.equal(made.principal, 'operator:ops');
  t.same(store.authenticate(made.token), { role: 'operator', name: 'ops', id: 'operator:ops' });
  t.same(parsePrincipal('Researcher:An.B'), { role: 'researcher', name: 'an.b', id: 'researcher:an.b' });
});

t.test('an expired token is refused with its own code, only after the secret proves possession', async (t) => {
  const fx = storeFixture(t);
  const { token, tokenId } = fx.store.createToken('supplier:vdab', 'test', 1);
  t.equal(fx.store.verifyToken(token).id, 'supplier:vdab');
  fx.store.close();
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(`${fx.dataDir}/koppel.db`);
  db.prepare('UPDATE tokens SET expires_at = ? WHERE token_id = ?').run('2000-01-01T00:00:00.000Z', tokenId);
  db.close();
  const store = fx.reopen();
  t.throws(() => store.verifyToken(token), { code: 'KOPPEL_ERR_AUTH_EXPIRED_TOKEN' });
  t.throws(() => store.verifyToken(token.slice(0, -1) + (token.at(-1) === 'A' ? 'B' : 'A')), { code: 'KOPPEL_ERR_AUTH_INVALID_TOKEN' }, 'a wrong secret does not learn that the token expired');
  t.equal(store.authenticate(token), null);
  t.throws(() => store.createToken('operator:x', 'test', 0), { code: 'KOPPEL_ERR_AUTH_BAD_EXPIRY' });
  t.throws(() => store.createToken('operator:x', 'test', 367), { code: 'KOPPEL_ERR_AUTH_BAD_EXPIRY' });
});
