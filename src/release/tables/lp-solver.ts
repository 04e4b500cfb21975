/**
 * The HiGHS linear-programming solver (the `highs` package: HiGHS compiled to WebAssembly),
 * loaded once per process. Solves are synchronous and a model is never used re-entrantly,
 * so one instance serves every table built in the process.
 *
 * The package's ES build exports the loader as default, but its type declarations are
 * CommonJS (`export default` under `"type": "commonjs"`), so TypeScript sees the default
 * import as the module object: take `.default` where it exists, the import itself otherwise.
 */
import highsPackage from 'highs';
import type { Highs } from 'highs';

type Loader = () => Promise<Highs>;
const loader = ((highsPackage as unknown as { default?: Loader }).default ?? highsPackage) as unknown as Loader;
let loading: Promise<Highs> | undefined;

export function loadLpSolver(): Promise<Highs> {
  loading ??= loader();
  return loading;
}
