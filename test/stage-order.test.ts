/**
 * The stage order of DESIGN.md §2, checked from the source: every relative import between folders of
 * src/ (and variants/) must point down the order below, the folder graph must be acyclic, and each
 * stage's index.ts must open by saying what the stage does and what it may import (the same list).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { repoRoot } from './paths.js';

/**
 * What each folder may import, bottom first. ebpf is the bottom (the instruction set and the shared
 * vocabulary); common is plumbing on top of it (Rng, atomic writes, paths, git, GC time). kernel sits
 * beside interp: its oracle uses ebpf and common, and its comparisons (difftest, conformance) run the
 * interpreter and the conformance reader as the other side. Nothing imports bench, profile or cli.
 */
const BELOW_SEARCH = ['ebpf', 'common', 'interp', 'analysis', 'safety'];
const STAGES: Readonly<Record<string, readonly string[]>> = {
  'src/ebpf': [],
  'src/common': ['ebpf'],
  'src/interp': ['ebpf', 'common'],
  'src/conformance': ['ebpf', 'common', 'interp'],
  'src/kernel': ['ebpf', 'common', 'interp', 'conformance'],
  'src/analysis': ['ebpf', 'common', 'interp'],
  'src/safety': ['ebpf', 'common', 'interp', 'analysis'],
  'src/search': BELOW_SEARCH,
  'src/verify': [...BELOW_SEARCH, 'search'],
  'src/rules': [...BELOW_SEARCH, 'search', 'verify'],
  'src/passes': [...BELOW_SEARCH, 'search', 'verify'],
  variants: [...BELOW_SEARCH, 'search', 'verify'],
  'src/optimize': [...BELOW_SEARCH, 'search', 'verify', 'rules', 'passes', 'kernel', 'variants'],
  'src/corpus': ['ebpf', 'common', 'interp', 'kernel'],
  'src/soundness': [...BELOW_SEARCH, 'kernel', 'search', 'verify', 'variants'],
  'src/bench': [...BELOW_SEARCH, 'conformance', 'kernel', 'search', 'verify', 'rules', 'optimize', 'variants'],
  'src/profile': [...BELOW_SEARCH, 'conformance', 'kernel', 'search', 'verify', 'rules', 'optimize', 'variants'],
  'src/cli': [...BELOW_SEARCH, 'conformance', 'kernel', 'search', 'verify', 'rules', 'optimize', 'variants', 'soundness', 'corpus', 'bench', 'profile'],
  src: ['cli'], // src/cli.ts, the entry point
};
const short = (folder: string): string => folder.replace(/^src\//, '');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The folder a module belongs to: src/<stage>, variants, or src itself for src/*.ts. */
function folderOf(file: string): string {
  const parts = relative(repoRoot, file).split('/');
  if (parts[0] === 'variants') return 'variants';
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** Relative specifiers of static and dynamic imports, re-exports and workers' `new URL(…)`. */
export function importSpecifiers(text: string): string[] {
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|new URL\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
  return [...text.matchAll(re)].map((m) => m[1]!);
}

interface Edge { from: string; to: string; file: string; spec: string }

function folderEdges(): Edge[] {
  const files = [...sourceFiles(join(repoRoot, 'src')), ...sourceFiles(join(repoRoot, 'variants'))];
  return files.flatMap((file) => importSpecifiers(readFileSync(file, 'utf8')).map((spec) => {
    const target = normalize(join(dirname(file), spec.replace(/\.js$/, '.ts')));
    return { from: folderOf(file), to: folderOf(target), file: relative(repoRoot, file), spec };
  })).filter((e) => e.from !== e.to);
}

/** A cycle in the graph as a list of nodes, or undefined. */
function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'open'); path.push(n);
    for (const m of graph.get(n) ?? []) { const c = visit(m); if (c) return c; }
    state.set(n, 'done'); path.pop();
    return undefined;
  };
  for (const n of graph.keys()) { const c = visit(n); if (c) return c; }
  return undefined;
}

const fullName = (s: string): string => (s === 'variants' || s === 'src' ? s : `src/${s}`);

test('the import scanner sees static, type, dynamic, re-export and worker imports', () => {
  const text = "import a from './a.js';\nimport type { B } from '../b/b.js';\nexport { c } from './c.js';\n" +
    "const d = await import('../d.js');\nnew Worker(new URL('./e.js', import.meta.url));\nimport 'node:fs';\nimport './side.js';";
  assert.deepEqual(importSpecifiers(text), ['./a.js', '../b/b.js', './c.js', '../d.js', './e.js', './side.js']);
});

test('the stage order itself is acyclic and names only known folders', () => {
  const graph = new Map(Object.entries(STAGES).map(([k, v]) => [k, new Set(v.map(fullName))]));
  for (const [k, v] of graph) for (const t of v) assert.ok(t in STAGES, `${k} may import unknown folder ${t}`);
  assert.equal(findCycle(graph), undefined);
});

test('every folder of src/ has a place in the stage order, and every import goes down it', () => {
  for (const name of readdirSync(join(repoRoot, 'src'))) {
    if (statSync(join(repoRoot, 'src', name)).isDirectory()) assert.ok(`src/${name}` in STAGES, `src/${name} has no place in the stage order (test/stage-order.test.ts)`);
  }
  const bad = folderEdges().filter((e) => !(STAGES[e.from] ?? []).map(fullName).includes(e.to));
  assert.deepEqual(bad.map((e) => `${e.file} imports ${e.spec} (${e.from} -> ${e.to})`), []);
});

test('the folders import each other without a cycle', () => {
  const graph = new Map<string, Set<string>>();
  for (const e of folderEdges()) graph.set(e.from, (graph.get(e.from) ?? new Set()).add(e.to));
  assert.equal(findCycle(graph)?.join(' -> '), undefined);
});

test("every stage folder opens its index.ts with what it does and the stage order's 'May import' list", () => {
  for (const [folder, allowed] of Object.entries(STAGES)) {
    if (folder === 'src' || !existsSync(join(repoRoot, folder))) continue;
    const index = join(repoRoot, folder, 'index.ts');
    assert.ok(existsSync(index), `${folder}/index.ts is missing`);
    const head = readFileSync(index, 'utf8').split('\n').slice(0, 12).join('\n');
    assert.match(head, /^\/\*\*\n \* \S/, `${folder}/index.ts does not open with a comment saying what the stage does`);
    const m = /May import: ([^.\n]*)\./.exec(head);
    assert.ok(m, `${folder}/index.ts does not say what it may import ('May import: a, b.' in its first lines)`);
    const said = m[1]!.trim() === 'nothing' ? [] : m[1]!.split(',').map((s) => s.trim().replace(/^src\//, ''));
    assert.deepEqual([...said].sort(), allowed.map(short).sort(), `${folder}/index.ts's 'May import' differs from the stage order`);
  }
});
