/**
 * report.html: the linkage report as one self-contained page. Charts are inline SVG drawn here
 * (no script, no stylesheet or font from the network). It renders only the report's counts and
 * parameters, so it holds no record id, name, number or date.
 */
import type { LinkReport } from './link-report.js';

export interface HtmlReportContext {
  readonly title: string;
  readonly version: string;
  readonly generatedAt: string;
}

const esc = (s: string | number): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (x: number, digits = 3): string => (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toFixed(digits));
const COLORS = ['#2f6690', '#d1495b', '#3a7d44', '#edae49', '#7b6d8d', '#00798c', '#8d6a9f', '#5c6b73'];

/** Horizontal bars: one row per label. */
function barChart(rows: readonly { label: string; value: number; color?: string }[], unit = ''): string {
  const width = 640; const rowH = 22; const labelW = 230;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const h = rows.length * rowH + 6;
  const bars = rows.map((r, i) => {
    const w = Math.max(r.value > 0 ? 1 : 0, ((width - labelW - 90) * r.value) / max);
    const y = i * rowH + 3;
    return `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${esc(r.label)}</text>`
      + `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${r.color ?? COLORS[0]}"/>`
      + `<text x="${labelW + w + 4}" y="${y + 15}">${esc(fmt(r.value, 1))}${esc(unit)}</text>`;
  }).join('');
  return `<svg class="chart" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}" role="img">${bars}</svg>`;
}

/** The match-weight histogram with the threshold's weight marked. */
function histogramChart(edges: readonly number[], counts: readonly number[], thresholdWeight: number | null): string {
  if (counts.length === 0) return '<p>No candidate pairs.</p>';
  const width = 640; const height = 220; const pad = 36;
  const max = Math.max(1, ...counts);
  const logMax = Math.log10(max + 1);
  const bw = (width - 2 * pad) / counts.length;
  const lo = edges[0]; const hi = edges[edges.length - 1];
  const xOf = (w: number) => pad + ((w - lo) / (hi - lo)) * (width - 2 * pad);
  const bars = counts.map((c, i) => {
    const h = (Math.log10(c + 1) / logMax) * (height - 2 * pad);
    return `<rect x="${(pad + i * bw).toFixed(1)}" y="${(height - pad - h).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${(edges[i] + edges[i + 1]) / 2 >= (thresholdWeight ?? Infinity) ? COLORS[2] : COLORS[0]}"><title>${esc(`${fmt(edges[i], 1)} to ${fmt(edges[i + 1], 1)}: ${c} pairs`)}</title></rect>`;
  }).join('');
  const ticks = [0, Math.floor(counts.length / 4), Math.floor(counts.length / 2), Math.floor((3 * counts.length) / 4), counts.length]
    .map((i) => `<text x="${(pad + i * bw).toFixed(1)}" y="${height - pad + 16}" text-anchor="middle">${esc(fmt(edges[i], 1))}</text>`).join('');
  const line = thresholdWeight !== null && thresholdWeight >= lo && thresholdWeight <= hi
    ? `<line x1="${xOf(thresholdWeight).toFixed(1)}" x2="${xOf(thresholdWeight).toFixed(1)}" y1="${pad - 10}" y2="${height - pad}" stroke="${COLORS[1]}" stroke-dasharray="4 3"/><text x="${(xOf(thresholdWeight) + 4).toFixed(1)}" y="${pad - 2}" fill="${COLORS[1]}">threshold</text>`
    : '';
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">`
    + `<line x1="${pad}" x2="${width - pad}" y1="${height - pad}" y2="${height - pad}" stroke="#888"/>${bars}${ticks}${line}`
    + `<text x="${width / 2}" y="${height - 4}" text-anchor="middle">match weight (log2 Bayes factor, with prior); bar height: pairs, log scale</text></svg>`;
}

/** Estimated precision and recall against the threshold. */
function curveChart(curve: LinkReport['estimate']['curve'], threshold: number): string {
  if (curve.length === 0) return '';
  const width = 640; const height = 220; const pad = 40;
  const x = (t: number) => pad + t * (width - 2 * pad);
  const y = (v: number) => height - pad - v * (height - 2 * pad);
  const path = (key: 'precision' | 'recall') => curve.map((c, i) => `${i === 0 ? 'M' : 'L'}${x(c.threshold).toFixed(1)},${y(c[key]).toFixed(1)}`).join(' ');
  const grid = [0, 0.25, 0.5, 0.75, 1].map((v) => `<line x1="${pad}" x2="${width - pad}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${pad - 4}" y="${y(v) + 4}" text-anchor="end">${v}</text>`).join('')
    + [0, 0.25, 0.5, 0.75, 1].map((t) => `<text x="${x(t)}" y="${height - pad + 16}" text-anchor="middle">${t}</text>`).join('');
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">${grid}`
    + `<path d="${path('precision')}" fill="none" stroke="${COLORS[0]}" stroke-width="2"/><path d="${path('recall')}" fill="none" stroke="${COLORS[3]}" stroke-width="2"/>`
    + `<line x1="${x(threshold)}" x2="${x(threshold)}" y1="${pad - 10}" y2="${height - pad}" stroke="${COLORS[1]}" stroke-dasharray="4 3"/>`
    + `<text x="${width - pad}" y="${pad - 12}" text-anchor="end"><tspan fill="${COLORS[0]}">precision</tspan> · <tspan fill="${COLORS[3]}">recall</tspan> · <tspan fill="${COLORS[1]}">chosen threshold</tspan></text>`
    + `<text x="${width / 2}" y="${height - 4}" text-anchor="middle">match probability threshold</text></svg>`;
}

/** m and u of one field's levels, as paired bars on a 0..1 scale. */
function levelChart(levels: LinkReport['model']['fields'][number]['levels']): string {
  const rows = levels.filter((l) => l.label !== 'null');
  const width = 640; const rowH = 26; const labelW = 230;
  const h = rows.length * rowH + 4;
  const scale = width - labelW - 120;
  const body = rows.map((l, i) => {
    const y = i * rowH + 2;
    return `<text x="${labelW - 6}" y="${y + 16}" text-anchor="end">${esc(l.label)}</text>`
      + `<rect x="${labelW}" y="${y + 3}" width="${(scale * l.m).toFixed(1)}" height="9" fill="${COLORS[2]}"/>`
      + `<rect x="${labelW}" y="${y + 13}" width="${(scale * l.u).toFixed(1)}" height="9" fill="${COLORS[1]}"/>`
      + `<text x="${labelW + scale + 6}" y="${y + 16}">w ${esc(l.weight.toFixed(2))}</text>`;
  }).join('');
  return `<svg class="chart" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}" role="img">${body}</svg>`;
}

function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>`
    + rows.map((r) => `<tr>${r.map((c) => `<td>${esc(typeof c === 'number' ? fmt(c, 4) : c)}</td>`).join('')}</tr>`).join('')
    + '</tbody></table>';
}

export function reportHtml(report: LinkReport, ctx: HtmlReportContext): string {
  const r = report;
  const thresholdWeight = Math.log2(r.settings.threshold / (1 - r.settings.threshold));
  const fieldNames = r.settings.fields.map((f) => f.name);
  const sections: string[] = [];
  sections.push(`<h2>Summary</h2>${table(['', 'value'], [
    ['links (deterministic)', r.links.deterministic],
    ['links (probabilistic)', r.links.probabilistic],
    ['persons (clusters)', r.clusters.count],
    ['clusters with records of two or more sources', r.clusters.multi_source],
    ['threshold (match probability)', `${fmt(r.settings.threshold, 4)} (${r.settings.threshold_chosen_by === 'engine' ? 'chosen by the engine' : 'set by the job'})`],
    ['estimated precision of probabilistic links', fmt(r.estimate.precision, 4)],
    ['estimated recall of probabilistic links', fmt(r.estimate.recall, 4)],
  ])}`);
  sections.push(`<h2>Counts per stage and method</h2>${barChart([
    ...r.sources.map((s, i) => ({ label: `records ${s.name}`, value: s.records, color: COLORS[(i + 4) % COLORS.length] })),
    { label: 'deterministic links', value: r.links.deterministic, color: COLORS[0] },
    { label: 'candidate pairs (blocking)', value: r.blocking.candidate_pairs, color: COLORS[5] },
    { label: 'pairs above the floor', value: r.scoring.pairs_above_floor, color: COLORS[3] },
    { label: 'probabilistic links', value: r.links.probabilistic, color: COLORS[2] },
  ])}${table(['source', 'records', 'linked deterministically', 'linked probabilistically', 'not linked'],
    r.sources.map((s) => [s.name, s.records, s.linked_deterministic, s.linked_probabilistic, s.unlinked]))}`);
  sections.push(`<h2>Deterministic pass</h2>${r.deterministic.enabled ? table(['', 'count'], [
    ['links on equal valid national numbers', r.deterministic.links],
    ['records linked', r.deterministic.records_linked],
    ['refused: two records of a unique source', r.deterministic.conflicts],
    ['links whose names clearly disagree', r.deterministic.disagreeing.names],
    ['links whose birth dates clearly disagree', r.deterministic.disagreeing.dates],
    ['groups skipped as oversized (placeholder numbers?)', r.deterministic.oversized_groups],
  ]) : '<p>The job has no national_id field.</p>'}`);
  if (!r.probabilistic.run) {
    sections.push(`<h2>Probabilistic pass</h2><p>Skipped: ${esc(r.probabilistic.skipped_because ?? 'not run')}; the links are the deterministic pass's.</p>`);
  } else {
    sections.push(`<h2>Blocking</h2>${table(['rule', 'chosen by', 'new pairs', 'skipped blocks', 'skipped pairs'],
      r.blocking.rules.map((x) => [x.rule, x.chosen_by, x.pairs, x.skipped_blocks, x.skipped_pairs]))}`
      + `<p>${esc(fmt(r.blocking.candidate_pairs))} candidate pairs out of ${esc(fmt(r.blocking.comparable_pairs))} comparable pairs (reduction ratio ${esc(fmt(r.blocking.reduction_ratio, 6))}).</p>`);
    sections.push(`<h2>Match-weight histogram</h2>${histogramChart(r.scoring.weight_histogram.edges, r.scoring.weight_histogram.counts, thresholdWeight)}`);
    sections.push(`<h2>The model's estimate of precision and recall</h2>${curveChart(r.estimate.curve, r.settings.threshold)}`
      + table(['threshold', 'precision', 'recall', 'links'], r.estimate.curve.map((c) => [c.threshold, c.precision, c.recall, c.links])));
    sections.push(`<h2>Model: m and u per field and level</h2><p>EM: ${esc(r.model.em_iterations)} iterations over ${esc(r.model.distinct_patterns)} distinct patterns${r.model.em_converged ? '' : ' (not converged)'}; u from ${esc(fmt(r.model.u_sample_pairs))} random pairs${r.model.m_held ? '; m measured on the deterministic links and held (EM estimated the share of matches only)' : r.model.m_from_deterministic_links ? '; m started from the deterministic links' : ''}. Green: m (share of matches at the level); red: u (share of non-matches); w = log2(m/u).</p>`
      + r.model.fields.map((f) => `<h3>${esc(f.name)} <small>(${esc(f.type)}${f.term_frequency ? ', term-frequency adjusted on exact agreement' : ''})</small></h3>${levelChart(f.levels)}${table(['level', 'm', 'u', 'weight', 'candidate pairs'], f.levels.map((l) => [l.label, l.m, l.u, l.weight, l.pairs]))}`).join(''));
  }
  sections.push(`<h2>Null and invalid values per field</h2>${table(['source', ...fieldNames.flatMap((n) => [`${n} null`, `${n} invalid`])],
    r.sources.map((s) => [s.name, ...fieldNames.flatMap((n) => [s.fields[n]?.nulls ?? 0, s.fields[n]?.invalid ?? 0])]))}`
    + barChart(r.sources.flatMap((s, i) => fieldNames.map((n) => ({ label: `${s.name} · ${n}`, value: (s.fields[n]?.nulls ?? 0) + (s.fields[n]?.invalid ?? 0), color: COLORS[(i + 1) % COLORS.length] })))));
  sections.push(`<h2>Time per stage</h2>${barChart(Object.entries(r.timings_ms).map(([k, v]) => ({ label: k, value: v, color: COLORS[4] })), ' ms')}`);

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(ctx.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:900px;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}h3{font-size:1rem;margin-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:right}td:first-child,th:first-child{text-align:left}
svg.chart{display:block;max-width:100%;height:auto;font-size:12px;margin:.5rem 0}small{color:#666;font-weight:normal}
</style></head><body>
<h1>${esc(ctx.title)}</h1>
<p>Koppel ${esc(ctx.version)} · ${esc(ctx.generatedAt)} · ${esc(r.sources.length)} sources · fields: ${esc(r.settings.fields.map((f) => `${f.name} (${f.type})`).join(', '))}</p>
${sections.join('\n')}
</body></html>
`;
}
