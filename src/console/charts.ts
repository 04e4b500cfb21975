/**
 * Charts as inline SVG built with DOM APIs (dom.ts `s`): grouped bars and lines. Colours come
 * from CSS classes (`series-0`, `series-1`), so the CSP needs no inline style. Each chart is an
 * image with a title and a description, and its legend says what each colour is.
 */
import { h, s } from './dom.js';
import { num } from './i18n.js';

export interface Series {
  readonly name: string;
  readonly values: readonly number[];
}

// A small view box: the chart is drawn at about 300 to 400 px, so its 12-unit text stays legible.
const W = 420;
const H = 260;
const PAD = { left: 64, right: 10, top: 10, bottom: 72 };

let chartCount = 0;

function frame(title: string, summary: string, series: readonly Series[], body: SVGElement[]): HTMLElement {
  const id = `chart-${++chartCount}`;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${id}-t ${id}-d`, class: 'chart', preserveAspectRatio: 'xMidYMid meet' },
    s('title', { id: `${id}-t` }, title), s('desc', { id: `${id}-d` }, summary), ...body);
  const legend = h('ul', { class: 'legend' }, series.map((se, i) => h('li', null, h('span', { class: `swatch series-${i}`, 'aria-hidden': 'true' }), se.name)));
  return h('figure', { class: 'chart-figure' }, h('figcaption', null, title), svg, legend);
}

function yAxis(max: number, format: (v: number) => string): SVGElement[] {
  const out: SVGElement[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = H - PAD.bottom - ((H - PAD.top - PAD.bottom) * i) / 4;
    out.push(s('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: 'grid' }));
    out.push(s('text', { x: PAD.left - 6, y: y + 4, class: 'tick', 'text-anchor': 'end' }, format(v)));
  }
  return out;
}

/** Grouped bars: one group per label, one bar per series. */
/** `share`: the values are shares, drawn on a 0 to 100 % axis. */
export function barChart(title: string, summary: string, labels: readonly string[], series: readonly Series[], format: (v: number) => string = (v) => num(v), share = false): HTMLElement {
  const max = share ? 1 : Math.max(1e-9, ...series.flatMap((se) => se.values));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const groupW = plotW / Math.max(1, labels.length);
  const barW = Math.max(1, (groupW * 0.8) / series.length);
  const body = yAxis(max, format);
  const labelEvery = Math.ceil(labels.length / 14);
  labels.forEach((label, i) => {
    const x0 = PAD.left + i * groupW + groupW * 0.1;
    series.forEach((se, j) => {
      const v = se.values[i] ?? 0;
      const hgt = (v / max) * plotH;
      body.push(s('rect', { x: x0 + j * barW, y: H - PAD.bottom - hgt, width: barW, height: hgt, class: `bar series-${j}` },
        s('title', null, `${label} · ${se.name}: ${format(v)}`)));
    });
    if (i % labelEvery !== 0) return;
    // Level names ("same with typo") are long: slanted, they do not run into each other.
    const x = x0 + (barW * series.length) / 2;
    const y = H - PAD.bottom + 12;
    body.push(s('text', { x, y, class: 'tick', 'text-anchor': 'end', transform: `rotate(-35 ${x.toFixed(1)} ${y})` }, label.length > 14 ? `${label.slice(0, 13)}…` : label));
  });
  return frame(title, summary, series, body);
}

/** Lines of shares (0 to 1) over a numeric x axis, e.g. precision and recall by threshold. */
export function lineChart(title: string, summary: string, xs: readonly number[], series: readonly Series[], format: (v: number) => string, xFormat: (v: number) => string): HTMLElement {
  const max = 1;
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const px = (x: number) => PAD.left + (maxX === minX ? plotW / 2 : ((x - minX) / (maxX - minX)) * plotW);
  const py = (v: number) => H - PAD.bottom - (v / max) * plotH;
  const body = yAxis(max, format);
  series.forEach((se, j) => {
    const points = xs.map((x, i) => `${px(x).toFixed(1)},${py(se.values[i] ?? 0).toFixed(1)}`).join(' ');
    body.push(s('polyline', { points, class: `line series-${j}` }));
  });
  const step = Math.ceil(xs.length / 8);
  xs.forEach((x, i) => {
    if (i % step === 0) body.push(s('text', { x: px(x), y: H - PAD.bottom + 16, class: 'tick', 'text-anchor': 'middle' }, xFormat(x)));
  });
  return frame(title, summary, series, body);
}
