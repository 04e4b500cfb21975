import t from 'tap';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { FixedSizeBinary, Table, Uint32, makeData, makeVector, tableToIPC } from 'apache-arrow';
import { isKoppelError } from '../../../src/errors.js';
import type { PipelineContext } from '../../../src/pipeline/context.js';
import { liveLinkWorkers, openLinkRunner } from '../../../src/pipeline/link-worker-client.js';
import type { LinkTaskInput } from '../../../src/pipeline/link-worker-tasks.js';
import type { StoredFileRef } from '../../../src/store/index.js';

const run = promisify(execFile);
const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');
const NODE_MODULES = path.resolve(SRC, '../node_modules');

/** Only what openLinkRunner reads from a pipeline context. */
const ctxWith = (jobWorkers: number) => ({ config: { jobWorkers } }) as unknown as PipelineContext;

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koppel-link-worker-unit-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function refTo(file: string, what: string): StoredFileRef {
  const bytes = fs.readFileSync(file);
  return { path: file, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), what };
}

/**
 * A linkage.arrow of `n` rows: row numbers and 32-byte pseudonyms of persons `from + i` (seeded
 * bytes per person, so two files share pseudonyms where their persons overlap); every 7th null.
 */
function linkageFile(dir: string, name: string, from: number, n: number): StoredFileRef {
  const pseudonyms = new Uint8Array(n * 32);
  const bitmap = new Uint8Array((n + 7) >>> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if ((from + i) % 7 === 0) { nulls++; continue; }
    bitmap[i >>> 3] |= 1 << (i & 7);
    for (let b = 0; b < 32; b++) pseudonyms[i * 32 + b] = ((from + i) * 31 + b * 17 + ((from + i) >>> (b % 16))) & 0xff;
  }
  const table = new Table({
    row: makeVector(makeData({ type: new Uint32(), length: n, data: Uint32Array.from({ length: n }, (_, i) => i + 1) })),
    pseudonym: makeVector(makeData({ type: new FixedSizeBinary(32), length: n, nullCount: nulls, nullBitmap: bitmap, data: pseudonyms })),
  });
  const file = path.join(dir, `${name}.arrow`);
  fs.writeFileSync(file, tableToIPC(table, 'file'));
  return refTo(file, `deliveries/${name}/linkage.arrow`);
}

function taskInput(dir: string): LinkTaskInput {
  return {
    sources: [
      { delivery: 'dlv_a', file: linkageFile(dir, 'a', 0, 400), unique: null, columns: {}, quality: {} },
      { delivery: 'dlv_b', file: linkageFile(dir, 'b', 100, 300), unique: null, columns: {}, quality: {} },
    ],
    fields: [{ name: 'national_id', type: 'national_id' }],
    blocking: null,
    threshold: null,
  };
}

/** Runs a task to the end, with person id = cluster number + 1000; returns what a job would keep. */
async function runTask(ctx: PipelineContext, input: LinkTaskInput) {
  const runner = await openLinkRunner(ctx, input);
  try {
    let read = -1;
    const linked = await runner.link((records) => { read = records; });
    const ids = Float64Array.from({ length: linked.clusterCount }, (_, c) => c + 1000);
    const files = await runner.files(ids);
    return {
      mode: runner.mode, read, clusters: linked.clusterCount, links: linked.links, keyed: linked.keyedClusters.length,
      persons: files.persons, files: files.files.map((f) => [f.name, f.rows, createHash('sha256').update(f.bytes).digest('hex')]),
    };
  } finally {
    await runner.close();
  }
}

t.test('the worker and the inline runner produce the same clusters, links and file bytes', async (t) => {
  const input = taskInput(tempDir(t));
  const inWorker = await runTask(ctxWith(1), input);
  const inline = await runTask(ctxWith(0), input);
  t.equal(inWorker.mode, 'worker');
  t.equal(inline.mode, 'inline');
  t.same({ ...inWorker, mode: null }, { ...inline, mode: null });
  t.equal(inWorker.read, 700, 'the record count is reported after reading');
  t.ok(inWorker.links > 0, 'the overlapping persons are linked');
  t.equal(liveLinkWorkers(), 0, 'close() ended the worker');
});

t.test('a file that is not Arrow fails link() with a plain error, and the worker still ends', async (t) => {
  const dir = tempDir(t);
  const input = taskInput(dir);
  const junk = path.join(dir, 'junk.arrow');
  fs.writeFileSync(junk, 'not an arrow file');
  const bad: LinkTaskInput = { ...input, sources: [input.sources[0], { ...input.sources[1], file: refTo(junk, 'deliveries/b/linkage.arrow') }] };
  const runner = await openLinkRunner(ctxWith(1), bad);
  const err = await runner.link(() => {}).then(() => null, (e: unknown) => e);
  await runner.close();
  t.ok(err instanceof Error && !isKoppelError(err), 'not a coded error: the job maps it to KOPPEL_ERR_API_INTERNAL');
  t.equal(liveLinkWorkers(), 0);
});

t.test('at most jobWorkers runners are open at once; the next waits for a close', async (t) => {
  const dir = tempDir(t);
  const ctx = ctxWith(1);
  const first = await openLinkRunner(ctx, taskInput(dir));
  let second: Awaited<ReturnType<typeof openLinkRunner>> | null = null;
  const pending = openLinkRunner(ctx, taskInput(dir)).then((r) => { second = r; });
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  t.equal(second, null, 'the second waits while the first is open');
  await first.close();
  await first.close(); // twice is harmless and frees the slot only once
  await pending;
  t.not(second, null, 'and gets the slot once the first closes');
  const third = openLinkRunner(ctx, taskInput(dir)).then(() => 'third');
  const raced = await Promise.race([third, new Promise((r) => setTimeout(() => r('waiting'), 50))]);
  t.equal(raced, 'waiting', 'a double close did not free a second slot');
  await second!.close();
  t.equal(await third, 'third');
  t.equal((await openLinkRunner(ctxWith(0), taskInput(dir))).mode, 'inline', 'jobWorkers 0 runs inline, without waiting for a slot');
});

t.test('the compiled worker entry (.js, plain node, no tsx) runs the same task', async (t) => {
  // Compile src/ file by file (types stripped, layout kept, as tsc writes dist/), then run a
  // plain `node` child that imports the compiled client: it must start link-worker.js.
  const dir = tempDir(t);
  const out = path.join(dir, 'dist');
  const walk = (from: string): string[] => fs.readdirSync(from, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(from, e.name)) : e.name.endsWith('.ts') ? [path.join(from, e.name)] : []));
  for (const file of walk(SRC)) {
    const js = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: file,
    }).outputText;
    const target = path.join(out, path.relative(SRC, file)).replace(/\.ts$/, '.js');
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, js);
  }
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  fs.symlinkSync(NODE_MODULES, path.join(dir, 'node_modules'), 'dir');
  const input = taskInput(dir);
  fs.writeFileSync(path.join(dir, 'input.json'), JSON.stringify(input));
  fs.writeFileSync(path.join(dir, 'child.mjs'), `
    import fs from 'node:fs';
    import { createHash } from 'node:crypto';
    import { openLinkRunner, liveLinkWorkers } from './dist/pipeline/link-worker-client.js';
    const input = JSON.parse(fs.readFileSync(new URL('./input.json', import.meta.url), 'utf8'));
    const runner = await openLinkRunner({ config: { jobWorkers: 1 } }, input);
    let read = -1;
    const linked = await runner.link((records) => { read = records; });
    const files = await runner.files(Float64Array.from({ length: linked.clusterCount }, (_, c) => c + 1000));
    await runner.close();
    process.stdout.write(JSON.stringify({
      execArgv: process.execArgv, live: liveLinkWorkers(),
      result: { mode: runner.mode, read, clusters: linked.clusterCount, links: linked.links, keyed: linked.keyedClusters.length,
        persons: files.persons, files: files.files.map((f) => [f.name, f.rows, createHash('sha256').update(f.bytes).digest('hex')]) },
    }));
  `);
  const { stdout } = await run(process.execPath, [path.join(dir, 'child.mjs')], { cwd: dir, env: { PATH: process.env.PATH ?? '' } });
  const child = JSON.parse(stdout) as { execArgv: string[]; live: number; result: unknown };
  t.same(child.execArgv, [], 'the child runs plain node, without tsx');
  t.equal(child.live, 0);
  t.same(child.result, await runTask(ctxWith(1), input), 'the same result as under tsx');
});
