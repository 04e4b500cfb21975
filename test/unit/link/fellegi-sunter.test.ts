import t from 'tap';
import { initialM, runEm, type FsParams } from '../../../src/link/fellegi-sunter.js';
import { PatternCounter } from '../../../src/link/pattern-histogram.js';
import { seededRandom } from '../../../src/util/seeded-random.js';

/** Draws `n` pairs from a known model: each field's level from m (matches) or u (non-matches). */
function simulate(n: number, lambda: number, m: number[][], u: number[][], seed: number) {
  const random = seededRandom(seed);
  const F = m.length;
  const levels = m.map(() => new Uint8Array(n));
  const draw = (p: number[]) => { let x = random(); for (let l = 1; l < p.length; l++) { x -= p[l]; if (x < 0) return l; } return p.length - 1; };
  for (let i = 0; i < n; i++) {
    const match = random() < lambda;
    for (let f = 0; f < F; f++) levels[f][i] = draw(match ? m[f] : u[f]);
  }
  const counter = new PatternCounter(m.map((x) => x.length));
  counter.addPairs(levels, n, null);
  return counter.histogram();
}

t.test('EM recovers known m and the match share from simulated patterns (u given)', async (t) => {
  const m = [[0, 0.9, 0.07, 0.03], [0, 0.85, 0.15], [0, 0.95, 0.04, 0.01], [0, 0.8, 0.1, 0.1]];
  const u = [[0, 0.01, 0.04, 0.95], [0, 0.05, 0.95], [0, 0.002, 0.02, 0.978], [0, 0.1, 0.2, 0.7]];
  const lambda = 0.08;
  const hist = simulate(200_000, lambda, m, u, 11);
  t.ok(hist.size <= 3 * 2 * 3 * 3, 'pairs collapse to few patterns');
  const levelCounts = m.map((x) => x.length);
  const params: FsParams = { m: initialM(levelCounts), u: u.map((x) => Float64Array.from(x)), lambda: 0.3 };
  const outcome = runEm(hist, params, levelCounts);
  t.ok(outcome.converged, 'converged');
  t.ok(Math.abs(params.lambda - lambda) < 0.005, `lambda ${params.lambda}`);
  for (let f = 0; f < m.length; f++) {
    for (let l = 1; l < m[f].length; l++) t.ok(Math.abs(params.m[f][l] - m[f][l]) < 0.02, `m[${f}][${l}] ${params.m[f][l].toFixed(3)} vs ${m[f][l]}`);
  }
});

t.test('EM leaves fixed fields alone and floors unseen levels', async (t) => {
  const m = [[0, 0.9, 0.1], [0, 1, 0], [0, 0.95, 0.05]];
  const u = [[0, 0.05, 0.95], [0, 0.5, 0.5], [0, 0.02, 0.98]];
  const hist = simulate(20_000, 0.2, m, u, 5);
  const params: FsParams = { m: [Float64Array.from([0, 0.6, 0.4]), Float64Array.from([0, 0.7, 0.3]), Float64Array.from([0, 0.8, 0.2])], u: u.map((x) => Float64Array.from(x)), lambda: 0.1 };
  runEm(hist, params, [3, 3, 3], { fixedM: [true, false, false] });
  t.same([...params.m[0]], [0, 0.6, 0.4], 'fixed');
  t.ok(params.m[1][2] >= 0.0009 && params.m[1][2] < 0.01, `a level no match shows keeps a floor: ${params.m[1][2]}`);
});
