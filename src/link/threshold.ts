/**
 * Choosing the match threshold from the model's own probabilities.
 *
 * Over the links accepted by assignment (descending weight), the expected number of true links
 * above a threshold t is the sum of their probabilities; the expected number of matches is the
 * sum over all accepted links. So precision(t) = sum(p >= t) / count(p >= t) and
 * recall(t) = sum(p >= t) / sum(all), and the engine picks the t with the best expected F1.
 * Since assignment takes links strongest first, cutting its output at t equals assigning with t.
 */

export interface ThresholdChoice {
  readonly threshold: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly curve: { threshold: number; precision: number; recall: number; links: number }[];
}

const CURVE_POINTS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];

/** `probabilities` of accepted links in any order. `fixed`: a threshold given by the job. */
export function chooseThreshold(probabilities: Float64Array, fixed: number | null, floor: number): ThresholdChoice {
  const p = Float64Array.from(probabilities).sort().reverse();
  let total = 0;
  for (let i = 0; i < p.length; i++) total += p[i];
  const at = (t: number) => {
    let sum = 0; let n = 0;
    for (let i = 0; i < p.length && p[i] >= t; i++) { sum += p[i]; n++; }
    const precision = n === 0 ? 1 : sum / n;
    const recall = total === 0 ? 1 : sum / total;
    return { precision, recall, links: n };
  };
  const curve = CURVE_POINTS.map((t) => ({ threshold: t, ...at(t) }));
  if (fixed !== null) {
    const r = at(fixed);
    return { threshold: fixed, precision: r.precision, recall: r.recall, f1: f1(r.precision, r.recall), curve };
  }
  let best = { threshold: 0.5, precision: 1, recall: total === 0 ? 1 : 0, f1: -1 };
  let bestNext = 0;
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    sum += p[i];
    if (p[i] < floor) break;
    if (i + 1 < p.length && p[i + 1] === p[i]) continue; // evaluate after the last of equal values
    const precision = sum / (i + 1);
    const recall = total === 0 ? 1 : sum / total;
    const f = f1(precision, recall);
    if (f > best.f1) { best = { threshold: p[i], precision, recall, f1: f }; bestNext = i + 1 < p.length ? p[i + 1] : 0; }
  }
  // Report a round threshold that makes the same cut: the smallest of the curve's points above
  // the first excluded probability (links are the same; the number reads and reuses better).
  const round = CURVE_POINTS.find((t) => t > bestNext && t <= best.threshold);
  if (round !== undefined) best.threshold = round;
  if (best.f1 < 0) {
    const r = at(0.5);
    return { threshold: 0.5, precision: r.precision, recall: r.recall, f1: f1(r.precision, r.recall), curve };
  }
  return { ...best, curve };
}

function f1(precision: number, recall: number): number {
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}
