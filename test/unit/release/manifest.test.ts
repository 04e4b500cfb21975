import t from 'tap';
import { buildDraftManifest, finaliseManifest, type DraftManifestInput } from '../../../src/release/manifest.js';
import { enforceKAnonymity } from '../../../src/release/k-anonymity.js';

function input(): DraftManifestInput {
  return {
    release_id: 'rel_1',
    project: { id: 'prj_1', title: 'Transitions', legal_basis: 'IVC 22/123', valid_from: '2026-01-01', valid_to: '2027-12-31' },
    job: { id: 'job_1', settings: { deliveries: ['d1', 'd2'], threshold: 0.9 } },
    koppel_version: '0.1.0',
    key_ids: { 'link:national_id': 'k1', 'release:prj_1': 'k1' },
    files: [{ name: 'persons', rows: 3, columns: ['pseudonym', 'sex'] }, { name: 'vdab', rows: 5, columns: ['pseudonym', 'period'] }],
    disclosure_control: enforceKAnonymity([{ name: 'sex', codes: Int32Array.from([0, 0, 0, 1]), cardinality: 2 }], { k: 2 }).report,
    built_by: 'operator:an',
    built_at: '2026-02-01T10:00:00.000Z',
  };
}

const approval = { approved_by: 'operator:bo', approved_at: '2026-02-02T09:00:00.000Z', audit_head: { seq: 42, mac: 'ab'.repeat(32) } };

t.test('builds a draft manifest that is plain JSON and detached from its input', async (t) => {
  const source = input();
  const draft = buildDraftManifest(source);
  t.equal(draft.status, 'draft');
  t.equal(draft.approved_by, null);
  t.equal(draft.audit_head, null);
  t.same(draft.files.map((f) => f.name), ['persons', 'vdab']);
  t.same(draft.disclosure_control.suppressed_values, { sex: 2 });
  t.same(JSON.parse(JSON.stringify(draft)), draft, 'JSON round trip is lossless');
  (source.files[0].columns as string[]).push('changed');
  t.same(draft.files[0].columns, ['pseudonym', 'sex'], 'later changes to the input do not leak in');
});

t.test('finalises a draft with approver, time and audit head', async (t) => {
  const draft = buildDraftManifest(input());
  const withHashes = { ...draft, files: draft.files.map((f) => ({ ...f, sha256: '00'.repeat(32) })) };
  const final = finaliseManifest(withHashes, approval);
  t.equal(final.status, 'approved');
  t.equal(final.approved_by, 'operator:bo');
  t.same(final.audit_head, { seq: 42, mac: 'ab'.repeat(32) });
  t.equal(final.files[1].sha256, '00'.repeat(32), 'the store-added hashes are kept');
  t.equal(draft.status, 'draft', 'the draft is not modified');
});

t.test('refuses to finalise twice, by the builder, or with a bad time', async (t) => {
  const draft = buildDraftManifest(input());
  const final = finaliseManifest(draft, approval);
  t.throws(() => finaliseManifest(final, approval), { code: 'KOPPEL_ERR_RELEASE_ALREADY_APPROVED' });
  t.throws(() => finaliseManifest(draft, { ...approval, approved_by: 'operator:an' }), { code: 'KOPPEL_ERR_AUTH_FOUR_EYES' });
  t.throws(() => finaliseManifest(draft, { ...approval, approved_at: 'yesterday' }), RangeError);
});

t.test('rejects a file listed twice or an invalid row count', async (t) => {
  t.throws(() => buildDraftManifest({ ...input(), files: [{ name: 'a', rows: 1, columns: [] }, { name: 'a', rows: 2, columns: [] }] }), RangeError);
  t.throws(() => buildDraftManifest({ ...input(), files: [{ name: 'a', rows: -1, columns: [] }] }), RangeError);
});
