import t from 'tap';
import { chooseThreshold } from '../../../src/link/threshold.js';

t.test('a threshold from the job is kept and its precision and recall estimated', async (t) => {
  const c = chooseThreshold(Float64Array.of(0.99, 0.9, 0.6, 0.2), 0.5, 0.01);
  t.equal(c.threshold, 0.5);
  t.ok(Math.abs(c.precision - (0.99 + 0.9 + 0.6) / 3) < 1e-9);
  t.ok(Math.abs(c.recall - (0.99 + 0.9 + 0.6) / (0.99 + 0.9 + 0.6 + 0.2)) < 1e-9);
});

t.test('the engine cuts where the expected F1 is best: confident links in, doubtful ones out', async (t) => {
  const p = new Float64Array([...Array(100).fill(0.99), ...Array(50).fill(0.05)]);
  const c = chooseThreshold(p, null, 0.01);
  t.ok(c.threshold > 0.05 && c.threshold <= 0.99, 'the cut falls between the two groups');
  t.equal(c.threshold, 0.1, 'reported as the round value that makes the same cut');
  t.ok(Math.abs(c.precision - 0.99) < 1e-9);
  t.ok(c.f1 > 0.95);
  t.ok(c.curve.length > 5);
});

t.test('no candidate links: threshold one half, nothing estimated wrong', async (t) => {
  const c = chooseThreshold(new Float64Array(0), null, 0.01);
  t.equal(c.threshold, 0.5);
  t.equal(c.precision, 1);
});
