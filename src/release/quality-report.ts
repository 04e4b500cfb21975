/**
 * The linkage quality a release carries to its researchers: how well the records of its
 * datasets were linked into persons, so that an analysis can allow for missed and false links.
 * From the job's report (counts and model estimates only): the threshold, the model's estimate
 * of precision and recall for the probabilistic links, links per method and per source, and
 * unlinked records per source. Stored in the manifest as JSON and rendered as `quality.html`:
 * one static page, inline CSS, no script, every text escaped.
 */

/** The release file the report is rendered to. */
export const QUALITY_FILE = 'quality.html';

/** One source of the job: a delivery of a dataset for one period. */
export interface QualitySource {
  readonly dataset: string;
  readonly period: string;
  readonly records: number;
  readonly linked_deterministic: number;
  readonly linked_probabilistic: number;
  readonly unlinked: number;
}

export interface QualityReport {
  readonly persons: number;
  /** Match probability at or above which a candidate pair was linked. */
  readonly threshold: number;
  readonly threshold_chosen_by: 'engine' | 'job';
  /** The model's own estimate for the probabilistic links (null: the pass did not run). */
  readonly estimated_precision: number | null;
  readonly estimated_recall: number | null;
  readonly links: { readonly deterministic: number; readonly probabilistic: number; readonly total: number };
  readonly sources: readonly QualitySource[];
}

/** The job report fields read here (pipeline/jobs.ts writes them; link/link-report.ts inside). */
export interface JobQualityInput {
  readonly persons: number;
  readonly deliveries: readonly { readonly dataset: string; readonly period: string; readonly records: number }[];
  readonly linkage: {
    readonly sources: readonly { readonly linked_deterministic: number; readonly linked_probabilistic: number; readonly unlinked: number }[];
    readonly settings: { readonly threshold: number; readonly threshold_chosen_by: 'engine' | 'job' };
    readonly probabilistic: { readonly run: boolean };
    readonly links: { readonly deterministic: number; readonly probabilistic: number; readonly total: number };
    readonly estimate: { readonly precision: number; readonly recall: number };
  };
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function qualityReport(job: JobQualityInput): QualityReport {
  const { linkage } = job;
  if (linkage.sources.length !== job.deliveries.length) throw new RangeError(`the job report has ${linkage.sources.length} sources for ${job.deliveries.length} deliveries`);
  const ran = linkage.probabilistic.run;
  return {
    persons: job.persons,
    threshold: linkage.settings.threshold,
    threshold_chosen_by: linkage.settings.threshold_chosen_by,
    estimated_precision: ran ? finiteOrNull(linkage.estimate.precision) : null,
    estimated_recall: ran ? finiteOrNull(linkage.estimate.recall) : null,
    links: { deterministic: linkage.links.deterministic, probabilistic: linkage.links.probabilistic, total: linkage.links.total },
    sources: job.deliveries.map((d, i) => ({
      dataset: d.dataset, period: d.period, records: d.records,
      linked_deterministic: linkage.sources[i].linked_deterministic,
      linked_probabilistic: linkage.sources[i].linked_probabilistic,
      unlinked: linkage.sources[i].unlinked,
    })),
  };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const share = (x: number | null): string => (x === null ? 'not estimated' : `${(100 * x).toFixed(1)} %`);
const count = (n: number): string => n.toLocaleString('en-GB');

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;width:100%}
th,td{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:right}th:first-child,td:first-child{text-align:left}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}p.note{color:#555}`;

/** quality.html: the report for the release's researchers. */
export function qualityHtml(report: QualityReport, release: { readonly id: string; readonly project: string }): string {
  const rows = report.sources.map((s) => `<tr><td>${escapeHtml(s.dataset)}</td><td>${escapeHtml(s.period)}</td><td>${count(s.records)}</td>`
    + `<td>${count(s.linked_deterministic)}</td><td>${count(s.linked_probabilistic)}</td><td>${count(s.unlinked)}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Linkage quality of release ${escapeHtml(release.id)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>${STYLE}</style></head>
<body>
<h1>Linkage quality of release ${escapeHtml(release.id)}</h1>
<p>Project ${escapeHtml(release.project)}. The records of the datasets below were linked into ${count(report.persons)} persons.</p>
<h2>Links</h2>
<dl>
<dt>Threshold</dt><dd>match probability ${report.threshold.toFixed(4)} (chosen by the ${report.threshold_chosen_by === 'job' ? 'job' : 'engine'})</dd>
<dt>Estimated precision</dt><dd>${share(report.estimated_precision)}</dd>
<dt>Estimated recall</dt><dd>${share(report.estimated_recall)}</dd>
<dt>Deterministic links</dt><dd>${count(report.links.deterministic)} (equal valid national numbers)</dd>
<dt>Probabilistic links</dt><dd>${count(report.links.probabilistic)}</dd>
<dt>All links</dt><dd>${count(report.links.total)}</dd>
</dl>
<p class="note">Precision and recall are the linkage model's own estimate for its probabilistic links, from their match probabilities; deterministic links are taken as correct. They are not measured against a truth.</p>
<h2>Records per source</h2>
<table><thead><tr><th>Dataset</th><th>Period</th><th>Records</th><th>Linked by number</th><th>Linked probabilistically</th><th>Unlinked</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
