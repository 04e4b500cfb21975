import t from 'tap';
import fc from 'fast-check';
import { Int32, vectorFromArray } from 'apache-arrow';
import type { HierarchySpec } from '../../../src/model.js';
import { enforceKAnonymity, type KAnonymityPolicy, type KeyVariableCodes } from '../../../src/release/k-anonymity.js';
import { codeKeyVariable } from '../../../src/release/key-variables.js';

/** Random populations: 1-4 numeric key variables, some with band hierarchies, some nulls. */
const caseArb = fc.integer({ min: 1, max: 4 }).chain((nVars) => fc.record({
  spans: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: nVars, maxLength: nVars }),
  bands: fc.array(fc.option(fc.constantFrom([2], [5], [2, 4], [3, 6, 12]), { nil: undefined }), { minLength: nVars, maxLength: nVars }),
  n: fc.integer({ min: 0, max: 120 }),
  k: fc.integer({ min: 1, max: 8 }),
  limit: fc.constantFrom(0, 0.01, 0.05, 0.2, 1),
  l: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  seed: fc.integer(),
}));

type Case = { spans: number[]; bands: (readonly number[] | undefined)[]; n: number; k: number; limit: number; l: number | undefined; seed: number };

function build(c: Case): { vars: KeyVariableCodes[]; policy: KAnonymityPolicy } {
  let x = c.seed | 1;
  const next = (): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 2 ** 32; };
  // Skewed draws (squared uniform) so both large and tiny groups occur; 8% nulls.
  const vars = c.spans.map((span, v) => {
    const values = Array.from({ length: c.n }, () => (next() < 0.08 ? null : 1900 + Math.floor(next() ** 2 * span)));
    const spec: HierarchySpec | undefined = c.bands[v] === undefined ? undefined : { bands: c.bands[v]! };
    return codeKeyVariable(`v${v}`, vectorFromArray(values, new Int32()).data[0], spec);
  });
  const sensitive = Int32Array.from({ length: c.n }, () => (next() < 0.1 ? -1 : Math.floor(next() * 4)));
  const diversity = c.l === undefined ? undefined : { name: 's', codes: sensitive, cardinality: 4, l: c.l };
  return { vars, policy: { k: c.k, suppressionLimit: c.limit, diversity, records: c.n } };
}

/** The failure of one case as text, or null when every property holds. */
function check(c: Case): string | null {
  const { vars, policy } = build(c);
  const { codes, levels, report } = enforceKAnonymity(vars, policy);
  const again = enforceKAnonymity(vars, policy);
  if (JSON.stringify(again.report) !== JSON.stringify(report) || again.codes.some((a, v) => a.some((x, i) => x !== codes[v][i]))) return 'not deterministic';
  let lossSum = 0;
  let cells = 0;
  for (let v = 0; v < vars.length; v++) {
    const h = levels[v];
    const level = h === 0 ? null : vars[v].hierarchy![h - 1];
    let suppressed = 0;
    for (let i = 0; i < c.n; i++) {
      const leaf = vars[v].codes[i];
      const expected = leaf < 0 ? -1 : level === null ? leaf : level.codeOf[leaf];
      if (codes[v][i] !== expected && codes[v][i] !== -1) return `v${v} row ${i} became another value`;
      if (expected >= 0 && codes[v][i] === -1) suppressed++;
      if (leaf < 0) continue;
      cells++;
      const big = vars[v].cardinality;
      lossSum += codes[v][i] < 0 ? 1 : level === null || big <= 1 ? 0 : (level.leaves[codes[v][i]] - 1) / (big - 1);
    }
    if (report.suppressed_values[`v${v}`] !== suppressed) return `v${v}: ${suppressed} suppressed, report says ${report.suppressed_values[`v${v}`]}`;
  }
  if (Math.abs(report.information_loss - (cells === 0 ? 0 : lossSum / cells)) > 1e-9) return `loss ${report.information_loss} != ${lossSum / cells}`;
  const groups = new Map<string, { size: number; values: Set<number> }>();
  for (let i = 0; i < c.n; i++) {
    const key = codes.map((col) => col[i]).join(',');
    const g = groups.get(key) ?? { size: 0, values: new Set<number>() };
    g.size++;
    if (policy.diversity !== undefined && policy.diversity.codes[i] >= 0) g.values.add(policy.diversity.codes[i]);
    groups.set(key, g);
  }
  if (report.population_below_k) {
    return codes.every((col) => col.every((x) => x === -1)) ? null : 'population below k yet values released';
  }
  for (const [key, g] of groups) {
    if (g.size < c.k) return `group ${key} has ${g.size} < k = ${c.k}`;
    if (c.l !== undefined && g.values.size < c.l) return `group ${key} has ${g.values.size} < l = ${c.l} sensitive values`;
  }
  if (report.records_affected > Math.floor(c.limit * c.n) && !report.suppression_limit_exceeded) return 'past the suppression limit without saying so';
  return null;
}

t.test('random populations are k-anonymous (and l-diverse) after disclosure control, deterministically, within the limit or saying so', async (t) => {
  fc.assert(fc.property(caseArb, (c) => {
    const failure = check(c);
    if (failure !== null) throw new Error(failure);
  }), { numRuns: 300 });
  t.pass('300 random populations');
});
