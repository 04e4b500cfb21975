import t from 'tap';
import { productShapeProblems } from '../../../src/pipeline/product-schema.js';

const body = { name: 'Paths', schedule: 'quarterly', datasets: ['vdab_set'], from: '2024Q1', job: { threshold: 0.9, engine: 'in-process' }, release: { justification: 'a yearly replication' } };

t.test('a product body of the right shape has no problems; a change may name any part of it', async (t) => {
  t.same(productShapeProblems(body, 'body'), []);
  t.same(productShapeProblems({ job: {} }, 'patch'), []);
});

t.test('shape problems say where and what, never the value', async (t) => {
  const problems = productShapeProblems({ ...body, schedule: 'weekly', datasets: ['Not A Name'], colour: 'red', job: { threshold: 2 } }, 'body');
  t.match(problems.join('; '), /schedule must be equal to one of the allowed values/);
  t.match(problems.join('; '), /datasets\.0 must match pattern/);
  t.match(problems.join('; '), /the body must NOT have additional properties "colour"/);
  t.match(problems.join('; '), /job\.threshold must be < 1/);
  t.notMatch(problems.join('; '), /weekly|Not A Name|red/, 'no value is echoed');
  t.match(productShapeProblems({ name: 'x' }, 'body').join('; '), /must have required property 'schedule'/);
  t.match(productShapeProblems({}, 'patch').join('; '), /must NOT have fewer than 1 properties/, 'an empty change is a problem');
  t.match(productShapeProblems([], 'body').join('; '), /the body must be object/);
  t.match(productShapeProblems({ ...body, from: '2024Q5' }, 'body').join('; '), /from must match pattern/);
});
