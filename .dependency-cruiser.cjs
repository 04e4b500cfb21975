/**
 * The architecture as rules (design.md "Layers and layout"), checked by `npm test`.
 *
 * Layers, lowest first. A module may import its own folder and any folder below it, never one
 * above. `src/` at the root holds only the shared leaves and the public `index.ts`.
 *
 *   leaves (errors, config, log, model, version)
 *   util/  ->  ingest/  ->  pseudonymise/  ->  link/  ->  release/  ->  store/  ->  pipeline/
 *   faces: server/, console/, cli/ (cli may start the server)
 */
const LAYERS = ['util', 'ingest', 'pseudonymise', 'link', 'release', 'store', 'pipeline', 'server|console', 'cli'];
const LEAVES = '^src/(errors|config|log|model|version)\\.ts$';
const FOLDERS = `^src/(${LAYERS.join('|')})/`;

const upward = LAYERS.map((layer, i) => ({
  name: `no-upward-from-${layer.replace('|', '-or-')}`,
  comment: `${layer} may import only the leaves and the folders below it: ${LAYERS.slice(0, i).join(', ') || 'none'}.`,
  severity: 'error',
  from: { path: `^src/(${layer})/` },
  to: { path: `^src/(${LAYERS.slice(i + 1).join('|')})/|^src/index\\.ts$` },
}));
// server and console are one level: neither imports the other.
upward.push({
  name: 'faces-apart',
  comment: 'the server does not import the console sources, nor the console the server.',
  severity: 'error',
  from: { path: '^src/(server)/' },
  to: { path: '^src/(console)/' },
}, {
  name: 'console-apart',
  severity: 'error',
  from: { path: '^src/(console)/' },
  to: { path: '^src/(server)/' },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycle, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'leaves-import-leaves',
      comment: 'The shared leaves at the root import only each other.',
      severity: 'error',
      from: { path: LEAVES },
      to: { path: '^src/', pathNot: LEAVES },
    },
    {
      name: 'no-stray-root-file',
      comment: 'src/ at the root holds only errors, config, log, model, version and index; every other file lives in util/, a stage, store/, pipeline/ or a face.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/[^/]+\\.ts$', pathNot: `${LEAVES}|^src/index\\.ts$` },
    },
    {
      name: 'no-stray-root-file-importing',
      comment: 'See no-stray-root-file: a file at the root of src/ that is not a leaf or index.ts.',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$', pathNot: `${LEAVES}|^src/index\\.ts$` },
      to: {},
    },
    {
      name: 'no-unknown-folder',
      comment: 'Every folder of src/ is a layer of the architecture.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/[^/]+/', pathNot: FOLDERS },
    },
    {
      name: 'no-unknown-folder-importing',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: FOLDERS },
      to: {},
    },
    {
      name: 'src-not-importing-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|benchmarks|examples)/' },
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
    exclude: { path: '\\.d\\.ts$' },
  },
};
