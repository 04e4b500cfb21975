/**
 * Small modules, short functions (design.md "Layers and layout", issue 8): no module of `src/`
 * over MAX_MODULE_LINES lines, no function over MAX_FUNCTION_LINES, except the hashing kernels
 * named below, whose rounds are written out on purpose (unrolled SHA-256 compression).
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { functionSizes, moduleLines, sourceFiles } from './sizes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAX_MODULE_LINES = 300;
const MAX_FUNCTION_LINES = 80;
/** file:function -> why it may be longer. */
const KERNELS: Record<string, string> = {
  'src/pseudonymise/sha256-block.ts:compressBlock': 'the 64 SHA-256 rounds over one block, kept in one loop body for speed',
};

const files = sourceFiles(`${ROOT}src`);

t.test('no module in src/ is over the line limit', async (t) => {
  const over = files.map((f) => ({ file: f.slice(ROOT.length), lines: moduleLines(f) })).filter((m) => m.lines > MAX_MODULE_LINES);
  t.same(over, [], `modules over ${MAX_MODULE_LINES} lines: split them by concept`);
});

t.test('no function in src/ is over the line limit, kernels aside', async (t) => {
  const over = files.flatMap((f) => functionSizes(f, ROOT))
    .filter((fn) => fn.lines > MAX_FUNCTION_LINES && !Object.hasOwn(KERNELS, `${fn.file}:${fn.name}`))
    .map((fn) => `${fn.file}:${fn.line} ${fn.name} (${fn.lines} lines)`);
  t.same(over, [], `functions over ${MAX_FUNCTION_LINES} lines: make named steps of them`);
});

t.test('the measure itself counts a long function and a long module', async (t) => {
  const here = functionSizes(fileURLToPath(import.meta.url), ROOT);
  t.ok(here.some((fn) => fn.lines > 3), 'functions of this file are measured');
  t.ok(moduleLines(fileURLToPath(import.meta.url)) > 20);
});
