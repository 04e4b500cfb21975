/**
 * The layout rules of .dependency-cruiser.cjs, run against this tree (also run by `npm run lint`)
 * and against a planted violation of each kind, so a rule that stops matching fails here.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CRUISER = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

function cruise(dir: string): { ok: boolean; out: string } {
  try {
    const out = execFileSync(process.execPath, [CRUISER, 'src', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'err'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, out };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

t.test('the source tree follows the layer rules', async (t) => {
  const r = cruise(ROOT);
  t.ok(r.ok, r.out);
});

/** A tiny tree with the real tsconfig, one planted file, and what the rule should say. */
function planted(t: { teardown(fn: () => void): void }, files: Record<string, string>): { ok: boolean; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'koppel-layout-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return cruise(dir);
}

const base = {
  'src/errors.ts': 'export const E = 1;\n',
  'src/util/bits.ts': "import { E } from '../errors.js';\nexport const B = E;\n",
};

t.test('an upward import fails the rules', async (t) => {
  const r = planted(t, { ...base, 'src/pipeline/run.ts': 'export const P = 1;\n', 'src/link/x.ts': "import { P } from '../pipeline/run.js';\nexport const X = P;\n" });
  t.notOk(r.ok);
  t.match(r.out, /no-upward-from-link/);
});

t.test('an import cycle fails the rules, type-only included', async (t) => {
  const r = planted(t, {
    ...base,
    'src/link/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
    'src/link/b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }\n",
  });
  t.notOk(r.ok);
  t.match(r.out, /no-circular/);
});

t.test('a file at the root of src/ that is not a shared leaf fails the rules', async (t) => {
  const r = planted(t, { ...base, 'src/helpers.ts': "import { B } from './util/bits.js';\nexport const H = B;\n", 'src/cli/main.ts': "import { H } from '../helpers.js';\nexport const M = H;\n" });
  t.notOk(r.ok);
  t.match(r.out, /no-stray-root-file/);
});

t.test('a folder outside the layers fails the rules', async (t) => {
  const r = planted(t, { ...base, 'src/managers/m.ts': "import { B } from '../util/bits.js';\nexport const M = B;\n" });
  t.notOk(r.ok);
  t.match(r.out, /no-unknown-folder/);
});
