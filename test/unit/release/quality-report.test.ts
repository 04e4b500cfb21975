import t from 'tap';
import { escapeHtml, qualityHtml, qualityReport, type JobQualityInput } from '../../../src/release/quality-report.js';

function job(run = true): JobQualityInput {
  return {
    persons: 340,
    deliveries: [{ dataset: 'vdab<script>', period: '2024Q1', records: 300 }, { dataset: 'rsz', period: '2024', records: 200 }],
    linkage: {
      sources: [{ linked_deterministic: 150, linked_probabilistic: 10, unlinked: 140 }, { linked_deterministic: 150, linked_probabilistic: 10, unlinked: 40 }],
      settings: { threshold: 0.9, threshold_chosen_by: 'engine' },
      probabilistic: { run },
      links: { deterministic: 150, probabilistic: 10, total: 160 },
      estimate: { precision: 0.97, recall: 0.91 },
    },
  };
}

t.test('the report takes the estimate, links per method and records per source from the job report', async (t) => {
  const r = qualityReport(job());
  t.same(r.sources[1], { dataset: 'rsz', period: '2024', records: 200, linked_deterministic: 150, linked_probabilistic: 10, unlinked: 40 });
  t.same([r.threshold, r.estimated_precision, r.estimated_recall, r.links.total, r.persons], [0.9, 0.97, 0.91, 160, 340]);
  t.same([qualityReport(job(false)).estimated_precision, qualityReport(job(false)).estimated_recall], [null, null], 'no probabilistic pass, no estimate');
  t.throws(() => qualityReport({ ...job(), deliveries: job().deliveries.slice(1) }), RangeError, 'sources and deliveries out of step');
});

t.test('quality.html escapes every text, has inline CSS and no script', async (t) => {
  const html = qualityHtml(qualityReport(job()), { id: 'rel_1', project: 'prj_"x"' });
  t.notMatch(html, /<script/i);
  t.match(html, /vdab&lt;script&gt;/);
  t.match(html, /prj_&quot;x&quot;/);
  t.match(html, /<style>/);
  t.match(html, /97\.0 %/);
  t.match(html, /default-src 'none'/, 'a policy that allows nothing but the inline style');
  t.equal(escapeHtml(`<a href='x'>&</a>`), '&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;');
});
