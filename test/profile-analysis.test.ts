/**
 * The profiler's analysis on synthetic V8 profiles: the source-map decoder (hand-made and tsc's own
 * maps), categories from module paths (built-ins and cross-cutting axes inherit their caller's),
 * worker threads, recursion counted once in inclusive time, diff ranking, and the SVG output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyze, bySelf, pct } from '../src/profile/analyze.js';
import { buildTree, parseCpuProfile, type CallFrame, type CpuProfile, type ThreadProfile } from '../src/profile/cpuprofile.js';
import { diffMd, functionChanges } from '../src/profile/diff.js';
import { diffFlameSvg, flameSvg } from '../src/profile/flame.js';
import { categoryOfModule, FrameResolver } from '../src/profile/frames.js';
import { topFunctionsCsv, topFunctionsMd } from '../src/profile/top-functions.js';
import { SourceMap } from '../src/profile/sourcemap.js';
import { InputError } from '../src/ebpf/errors.js';
import { repoRoot } from './paths.js';

/** A fake checkout, so no real source map is found: paths fall back to the script URL's. */
const FAKE = '/nonexistent-k2lab';
const js = (path: string): string => pathToFileURL(join(FAKE, 'dist', path)).href;

interface Spec {
  name: string;
  url?: string;
  line?: number;
  /** Samples (1 ms each) with this node as the leaf. */
  self?: number;
  children?: Spec[];
}

/** Builds a profile in V8's format from a nested spec; every sample lasts 1 ms. */
function profile(children: Spec[]): CpuProfile {
  const nodes: CpuProfile['nodes'] = [];
  const samples: number[] = [];
  const add = (s: Spec): number => {
    const id = nodes.length + 1;
    const frame: CallFrame = { functionName: s.name, url: s.url ?? '', lineNumber: s.url ? (s.line ?? 0) : -1, columnNumber: s.url ? 0 : -1 };
    const node = { id, callFrame: frame, hitCount: s.self ?? 0, children: [] as number[] };
    nodes.push(node);
    for (let i = 0; i < (s.self ?? 0); i++) samples.push(id);
    for (const c of s.children ?? []) node.children.push(add(c));
    return id;
  };
  add({ name: '(root)', children });
  // Sample i is taken at (i + 1) ms and lasts until the next one; the last until endTime.
  return { nodes, startTime: 0, endTime: (samples.length + 1) * 1000, samples, timeDeltas: samples.map(() => 1000) };
}

function thread(p: CpuProfile, label = 'main'): ThreadProfile {
  const { root, wallMs, samples } = buildTree(p);
  return { label, file: `${label}.cpuprofile`, root, wallMs, samples };
}

const resolver = (): FrameResolver => new FrameResolver(FAKE);

test('source maps: lookups in a hand-made map', () => {
  // Line 0: col 0 → a.ts 0:0, col 10 → a.ts 4:2; line 1 empty; line 2: col 4 → b.ts 9:0.
  const map = new SourceMap({ sources: ['a.ts', 'b.ts'], mappings: 'AAAA,UAIE;;ICKF' }, '/src');
  assert.deepEqual(map.lookup(0, 3), { source: '/src/a.ts', line: 0, column: 0 });
  assert.deepEqual(map.lookup(0, 50), { source: '/src/a.ts', line: 4, column: 2 });
  assert.equal(map.lookup(1, 0), undefined);
  assert.deepEqual(map.lookup(2, 0), { source: '/src/b.ts', line: 9, column: 0 }); // before the first segment: that segment
  assert.deepEqual(map.lookup(2, 99), { source: '/src/b.ts', line: 9, column: 0 });
  assert.equal(map.lookup(3, 0), undefined); // past the last line: nothing, not line 2's segment
});

test('source maps: a function in compiled dist/ maps to its line in the .ts source', () => {
  const jsFile = join(repoRoot, 'dist', 'test', 'fixtures', 'hot-spot.js');
  const jsLine = readFileSync(jsFile, 'utf8').split('\n').findIndex((l) => l.includes('function hotSpotForTest'));
  const tsLine = readFileSync(join(repoRoot, 'test', 'fixtures', 'hot-spot.ts'), 'utf8').split('\n').findIndex((l) => l.includes('function hotSpotForTest'));
  assert.ok(jsLine >= 0 && tsLine >= 0);
  const info = new FrameResolver().resolve({ functionName: 'hotSpotForTest', url: pathToFileURL(jsFile).href, lineNumber: jsLine, columnNumber: 16 });
  assert.equal(info.location, `test/fixtures/hot-spot.ts:${tsLine + 1}`);
  assert.equal(info.module, 'test/fixtures/hot-spot.ts');
});

test('categories come from module paths', () => {
  assert.equal(categoryOfModule('src/interp/interpreter.ts'), 'interpreter');
  assert.equal(categoryOfModule('variants/dispatch/switch.ts'), 'interpreter');
  assert.equal(categoryOfModule('src/safety/checker.ts'), 'safety');
  assert.equal(categoryOfModule('variants/safety-state/bitset.ts'), 'safety');
  assert.equal(categoryOfModule('src/search/proposals.ts'), 'proposals');
  assert.equal(categoryOfModule('src/search/proposals-fast.ts'), 'proposals');
  assert.equal(categoryOfModule('src/search/sampling.ts'), 'proposals');
  assert.equal(categoryOfModule('src/search/cost.ts'), 'cost');
  assert.equal(categoryOfModule('src/search/output-error.ts'), 'cost');
  assert.equal(categoryOfModule('src/search/window-evaluation.ts'), 'cost');
  assert.equal(categoryOfModule('src/verify/encode.ts'), 'z3');
  assert.equal(categoryOfModule('node_modules/z3-solver/build/z3-built.js'), 'z3');
  assert.equal(categoryOfModule('wasm://wasm/z3-built.wasm-085478b6'), 'z3');
  assert.equal(categoryOfModule('variants/errors/exceptions.ts'), 'inherit');
  assert.equal(categoryOfModule('src/search/mcmc.ts'), 'other');
  assert.equal(categoryOfModule('node:internal/modules/esm/loader'), 'other');
  // Blocking reads (the native z3's answers) count for their caller.
  assert.equal(categoryOfModule('node:fs'), 'inherit');
  // The dist path of a file whose map is missing still lands in the right place.
  assert.equal(categoryOfModule('dist/src/interp/run.js'), 'interpreter');
});

test('where the time goes: a synthetic profile splits as its modules say', () => {
  const p = profile([
    { name: '(program)', self: 3 },
    { name: '(idle)', self: 50 },
    { name: '(garbage collector)', self: 7 },
    {
      name: 'runSearch', url: js('src/search/mcmc.js'), self: 5,
      children: [
        { name: 'propose', url: js('src/search/proposals.js'), self: 10 },
        {
          name: 'evaluate', url: js('src/search/cost.js'), self: 4,
          children: [
            {
              name: 'check', url: js('src/safety/checker.js'), self: 11,
              children: [
                { name: 'fill', self: 6 }, // a V8 built-in: counts for its caller (safety)
                { name: 'fail', url: js('variants/errors/exceptions.js'), self: 1, children: [{ name: 'captureStackTrace', self: 9 }] },
              ],
            },
            { name: 'execute', url: js('src/interp/interpreter.js'), self: 20, children: [{ name: 'set', self: 2 }] },
          ],
        },
      ],
    },
    { name: 'loadProgram', url: 'node:internal/modules/esm/loader', self: 12 },
  ]);
  const a = analyze([thread(p)], resolver());
  assert.equal(a.idleMs, 50);
  assert.equal(a.busyMs, 90);
  assert.deepEqual(a.categories, { z3: 0, gc: 7, interpreter: 22, safety: 27, proposals: 10, cost: 4, other: 20 });
  assert.equal(a.otherModules.get('Node.js internals (node:*)'), 12);
  assert.equal(a.otherModules.get('dist/src/search/mcmc.js'), 5);
  // Inclusive and self per function; callers and callees.
  const check = a.functions.get([...a.functions.keys()].find((k) => k.startsWith('check '))!)!;
  assert.equal(check.selfMs, 11);
  assert.equal(check.totalMs, 27);
  const execute = bySelf(a)[0]!;
  assert.equal(execute.info.name, 'execute');
  assert.equal(pct(execute.totalMs, a.busyMs).toFixed(1), '24.4');
  assert.deepEqual([...execute.callers.values()], [22]);
  const md = topFunctionsMd(a, { title: 'synthetic' });
  assert.match(md, /\| 1 \| `execute` \| dist\/src\/interp\/interpreter\.js:1 \| 20\.0 \| 22\.2% \| 24\.4% \| interpreter \|/);
  assert.match(md, /\| safety checker \(src\/safety, variants\/safety-state\) \| 27\.0 \| 30\.0% \|/);
  const csv = topFunctionsCsv(a).trim().split('\n');
  assert.equal(csv[0], 'rank,function,source,module,line,self_ms,self_pct,inclusive_ms,inclusive_pct,category,hottest_line');
  assert.equal(csv.length, 1 + a.functions.size);
  assert.match(csv.find((l) => l.includes(',captureStackTrace,'))!, /,safety,$/);
});

test('worker threads: wasm frames in a Z3 worker count as Z3; the main thread waiting is idle', () => {
  const main = profile([{ name: '(idle)', self: 40 }, { name: 'runSearch', url: js('src/search/mcmc.js'), self: 10 }]);
  const worker = profile([
    { name: 'invokeEntryPoint', url: pathToFileURL(join(FAKE, 'node_modules/z3-solver/build/z3-built.js')).href, self: 5, children: [
      { name: 'Z3_solver_check', url: 'wasm://wasm/z3-built.wasm-085478b6', self: 25, children: [{ name: 'smt::context::check', url: 'wasm://wasm/z3-built.wasm-085478b6', line: 0, self: 10 }] },
    ] },
  ]);
  const a = analyze([thread(main), thread(worker, 'thread 1')], resolver());
  assert.equal(a.busyMs, 50);
  assert.equal(a.idleMs, 40);
  assert.equal(a.categories.z3, 40);
  assert.deepEqual(a.threads.map((t) => [t.label, t.busyMs]), [['main', 10], ['thread 1', 40]]);
  assert.ok(a.tree.children.has('(thread 1)'));
  const wasm = bySelf(a)[0]!;
  assert.equal(wasm.info.name, 'Z3_solver_check');
  assert.equal(wasm.info.location, 'z3-built.wasm');
});

test('recursion is counted once in inclusive time', () => {
  const url = js('src/interp/interpreter.js');
  const p = profile([{ name: 'call', url, line: 5, self: 2, children: [{ name: 'call', url, line: 5, self: 3, children: [{ name: 'call', url, line: 5, self: 5 }] }] }]);
  const a = analyze([thread(p)], resolver());
  const f = [...a.functions.values()][0]!;
  assert.equal(a.functions.size, 1);
  assert.equal(f.selfMs, 10);
  assert.equal(f.totalMs, 10);
});

test('diff: a function that grew ranks above one that did not; the SVGs are well-formed', () => {
  const url = (f: string): string => js(`src/${f}.js`);
  const A = analyze([thread(profile([{ name: 'main', url: url('cli/optimize'), self: 10, children: [
    { name: 'grows', url: url('interp/machine'), self: 10 },
    { name: 'steady', url: url('safety/checker'), self: 30 },
    { name: 'shrinks', url: url('search/proposals'), self: 50 },
  ] }]))], resolver());
  const B = analyze([thread(profile([{ name: 'main', url: url('cli/optimize'), self: 10, children: [
    { name: 'grows', url: url('interp/machine'), self: 40 },
    { name: 'steady', url: url('safety/checker'), self: 30 },
    { name: 'shrinks', url: url('search/proposals'), self: 20 },
  ] }]))], resolver());
  const names = functionChanges(A, B).map((c) => c.info.name);
  assert.ok(names.indexOf('grows') < names.indexOf('steady'), names.join(', '));
  assert.equal(names[0], 'grows');
  assert.equal(names[names.length - 1], 'shrinks');
  const md = diffMd(A, B, { labelA: 'A', labelB: 'B', pathA: 'a', pathB: 'b' });
  const gained = md.slice(md.indexOf('## Functions that gained'), md.indexOf('## Functions that lost'));
  assert.match(gained, /`grows` \| dist\/src\/interp\/machine\.js:1 \| 10\.00 \| 40\.00 \| \+30\.00 \|/);
  assert.ok(!gained.includes('`steady`'));
  assert.match(md.slice(md.indexOf('## Functions that lost')), /`shrinks`/);
  for (const svg of [diffFlameSvg(A, B, { a: 'A', b: 'B', title: 'diff <&>' }), flameSvg(A, 'one')]) {
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"') && svg.trimEnd().endsWith('</svg>'));
    assert.equal(svg.split('<g>').length, svg.split('</g>').length);
    assert.ok(!/&(?!amp;|lt;|gt;|quot;)/.test(svg), 'every & escaped');
    assert.match(svg, /<title>grows — dist\/src\/interp\/machine\.js:1\n/);
  }
  // In the diff, 'grows' is red (gained) in B's panel and 'shrinks' blue.
  const svg = diffFlameSvg(A, B, { a: 'A', b: 'B', title: 't' });
  const fillOf = (name: string, nth: number): string => [...svg.matchAll(new RegExp(`<title>${name} [^<]*</title><rect [^>]*fill="rgb\\((\\d+),(\\d+),(\\d+)\\)"`, 'g'))][nth]![0];
  assert.match(fillOf('grows', 1), /rgb\(255,\d+,\d+\)/);
  assert.match(fillOf('shrinks', 1), /rgb\(\d+,\d+,255\)/);
});

test('flamegraph layout: widths are shares of inclusive time, children side by side above their parent', () => {
  const url = (f: string): string => js(`src/${f}.js`);
  const a = analyze([thread(profile([{ name: 'main', url: url('cli/optimize'), self: 10, children: [
    { name: 'left', url: url('interp/machine'), self: 30 },
    { name: 'right', url: url('safety/checker'), self: 60 },
  ] }]))], resolver());
  const svg = flameSvg(a, 'layout');
  const rect = (name: string): { x: number; y: number; w: number } => {
    const m = new RegExp(`<title>${name} [^<]*</title><rect x="([\\d.]+)" y="(\\d+)" width="([\\d.]+)"`).exec(svg);
    assert.ok(m, `${name} is drawn`);
    return { x: Number(m[1]), y: Number(m[2]), w: Number(m[3]) };
  };
  const [main, left, right] = [rect('main'), rect('left'), rect('right')];
  const inner = 1180; // flame.ts: 1200 px minus 10 px padding each side
  assert.ok(Math.abs(main.w - inner) < 0.2, `main spans the width: ${main.w}`);
  assert.ok(Math.abs(left.w - 0.3 * inner) < 0.2 && Math.abs(right.w - 0.6 * inner) < 0.2, `30% and 60%: ${left.w}, ${right.w}`);
  assert.ok(Math.abs(left.x - main.x) < 0.2 && Math.abs(right.x - (left.x + left.w)) < 0.2, 'children side by side from the parent\'s left edge');
  assert.ok(left.y === right.y && left.y < main.y, 'children one row above their parent (root at the bottom)');
});

test('bad profiles are one-line input errors', () => {
  assert.throws(() => parseCpuProfile('{', 'x.cpuprofile'), (e: unknown) => e instanceof InputError && /x\.cpuprofile: not a CPU profile \(invalid JSON/.test(e.message));
  assert.throws(() => parseCpuProfile('{"nodes":[]}', 'y.cpuprofile'), /y\.cpuprofile: not a CPU profile \(no "nodes" array\)/);
  assert.throws(() => buildTree(parseCpuProfile(JSON.stringify({ nodes: [{ id: 1, callFrame: { functionName: '(root)', url: '' }, children: [9] }], startTime: 0, endTime: 1 }), 'z'), 'z'), /z: node 1 names a missing child 9/);
});
