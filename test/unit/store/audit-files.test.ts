import t from 'tap';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { auditedFiles, checkAuditedFiles } from '../../../src/store/audit-files.js';

const ID = 'dlv_0123456789abcdef0123';
const sha = (bytes: string) => createHash('sha256').update(bytes).digest('hex');

const FILES = { deliveries: { [ID]: { 'linkage.arrow': 'linkage bytes', 'payload.arrow': 'payload bytes' } } };
function dataDir(t: { testdir(fixture: typeof FILES): string }): string {
  return t.testdir(FILES);
}

t.test('auditedFiles names each stored file by its data-dir-relative path', async (t) => {
  t.same(auditedFiles('deliveries', ID, [{ name: 'linkage.arrow', sha256: 'a'.repeat(64), bytes: 3 }]), [{ path: `deliveries/${ID}/linkage.arrow`, sha256: 'a'.repeat(64), bytes: 3 }]);
});

t.test('files that match their recorded hashes are counted once each; missing ones apart', async (t) => {
  const dir = dataDir(t);
  const files = auditedFiles('deliveries', ID, [{ name: 'linkage.arrow', sha256: sha('linkage bytes'), bytes: 13 }, { name: 'payload.arrow', sha256: sha('payload bytes'), bytes: 13 }]);
  const gone = { path: 'releases/rel_0123456789abcdef0123/persons.arrow', sha256: sha('x'), bytes: 1 };
  t.same(checkAuditedFiles(dir, [{ seq: 1, detail: { files } }, { seq: 2, detail: { files: [files[0], gone] } }, { seq: 3, detail: null }]), { checked: 2, missing: 1, mismatch: null });
});

t.test('a file that differs from its entry is a mismatch naming the entry', async (t) => {
  const dir = dataDir(t);
  fs.writeFileSync(path.join(dir, 'deliveries', ID, 'payload.arrow'), 'payload bytez');
  const result = checkAuditedFiles(dir, [{ seq: 7, detail: { files: [{ path: `deliveries/${ID}/payload.arrow`, sha256: sha('payload bytes') }] } }]);
  t.match(result.mismatch, { seq: 7, reason: `deliveries/${ID}/payload.arrow does not match the sha256 that entry 7 recorded` });
});

t.test('two entries recording different hashes for one path are a mismatch', async (t) => {
  const dir = dataDir(t);
  const p = `deliveries/${ID}/payload.arrow`;
  const result = checkAuditedFiles(dir, [{ seq: 2, detail: { files: [{ path: p, sha256: sha('payload bytes') }] } }, { seq: 5, detail: { files: [{ path: p, sha256: sha('other') }] } }]);
  t.match(result.mismatch, { seq: 5, reason: /another sha256 .* than entry 2/ });
});

t.test('a recorded path outside the stored data files is refused, never opened', async (t) => {
  const dir = dataDir(t);
  for (const bad of ['../koppel.db', `deliveries/${ID}/../../koppel.db`, '/etc/passwd', `deliveries/${ID}/manifest.json`]) {
    t.match(checkAuditedFiles(dir, [{ seq: 4, detail: { files: [{ path: bad, sha256: sha('x') }] } }]).mismatch, { seq: 4, reason: /not a stored data file/ }, bad);
  }
  t.match(checkAuditedFiles(dir, [{ seq: 4, detail: { files: [{ path: `deliveries/${ID}/payload.arrow`, sha256: 'nothex' }] } }]).mismatch, { seq: 4 });
});
