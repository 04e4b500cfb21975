import t from 'tap';
import { ConstrainedUnionFind, Union } from '../../../src/link/assignment.js';

t.test('two records of a unique source never share a cluster; a non-unique source may repeat', async (t) => {
  // sources: 0 unique (records 0,1), 1 unique (2,3), 2 not unique (4,5,6)
  const uf = new ConstrainedUnionFind(Int32Array.of(0, 2, 4, 7), [true, true, false]);
  t.equal(uf.union(0, 2), Union.Merged);
  t.equal(uf.union(1, 2), Union.Rejected, 'record 1 would join record 0 of the same unique source');
  t.equal(uf.union(4, 0), Union.Merged);
  t.equal(uf.union(5, 2), Union.Merged, 'a second row of the non-unique source joins the same person');
  t.equal(uf.union(5, 4), Union.Already);
  t.equal(uf.union(6, 1), Union.Merged);
  t.equal(uf.union(6, 0), Union.Rejected, 'would put records 0 and 1 of source 0 together');
  const { ids, count } = uf.clusterIds();
  t.equal(count, 3);
  t.same([...ids], [0, 1, 0, 2, 0, 0, 1]);
});

t.test('without constraints every link merges', async (t) => {
  const uf = new ConstrainedUnionFind(Int32Array.of(0, 2, 4), [false, false]);
  t.equal(uf.union(0, 2), Union.Merged);
  t.equal(uf.union(1, 2), Union.Merged);
  t.equal(uf.clusterIds().count, 2);
});
