/**
 * One process's profile (all its threads) reduced to what the reports show: per function its self and
 * inclusive time, callers, callees and hottest source line; per category its time ("where the time
 * goes"); and a call tree merged by function for the flamegraphs. Idle time is kept apart, not shared.
 */
import type { ThreadProfile, TreeNode } from './cpuprofile.js';
import { CATEGORIES, FrameResolver, moduleGroup, type Category, type FunctionInfo } from './frames.js';

export interface FunctionStats {
  info: FunctionInfo;
  selfMs: number;
  /** Time with this function anywhere on the stack (recursion counted once). */
  totalMs: number;
  /** Caller key → ms of this function's time entered from it; callee key → ms spent in it from here. */
  callers: Map<string, number>;
  callees: Map<string, number>;
  /** Source line (1-based, mapped) → samples. */
  lineTicks: Map<number, number>;
  /** Category → self ms (built-ins take their caller's category). */
  selfByCategory: Map<Category, number>;
}

/** A frame of the merged call tree (one per distinct stack of functions). */
export interface Frame {
  key: string;
  info: FunctionInfo;
  selfMs: number;
  totalMs: number;
  category: Category;
  children: Map<string, Frame>;
}

export interface Analysis {
  /** Sampled time that was not idle, over all threads: the denominator of every share. */
  busyMs: number;
  idleMs: number;
  /** Wall span of the main thread's profile. */
  wallMs: number;
  samples: number;
  threads: { label: string; file: string; busyMs: number; idleMs: number }[];
  functions: Map<string, FunctionStats>;
  categories: Record<Category, number>;
  /** Module group → ms, for the time in `other`. */
  otherModules: Map<string, number>;
  tree: Frame;
}

const ROOT_INFO: FunctionInfo = { key: '(all)', name: 'all', location: '', module: '', line: 0, special: undefined, category: 'other', url: '' };

export function analyze(threads: readonly ThreadProfile[], resolver = new FrameResolver()): Analysis {
  const a: Analysis = {
    busyMs: 0, idleMs: 0, wallMs: threads[0]?.wallMs ?? 0, samples: 0, threads: [], functions: new Map(),
    categories: Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>,
    otherModules: new Map(), tree: newFrame(ROOT_INFO, 'other'),
  };
  for (const t of threads) {
    const idle0 = a.idleMs;
    const busy0 = a.busyMs;
    // Worker threads get their own top frame in the merged tree, so their stacks stay apart.
    const top = threads.length > 1 && t.label !== 'main'
      ? child(a.tree, { ...ROOT_INFO, key: `(${t.label})`, name: `(${t.label})`, location: '(thread)' }, 'other')
      : a.tree;
    walkThread(a, t.root, top, resolver);
    a.samples += t.samples;
    a.threads.push({ label: t.label, file: t.file, busyMs: a.busyMs - busy0, idleMs: a.idleMs - idle0 });
  }
  a.tree.totalMs = [...a.tree.children.values()].reduce((s, f) => s + f.totalMs, 0);
  return a;
}

interface Visit {
  node: TreeNode;
  info: FunctionInfo;
  /** Category of the innermost frame with a module of its own (built-ins inherit it). */
  category: Category;
  group: string;
  frame: Frame;
  parent: FunctionStats | undefined;
  /** Whether an outer frame of the same function is on the stack (recursion). */
  nested: boolean;
}

function walkThread(a: Analysis, root: TreeNode, top: Frame, resolver: FrameResolver): void {
  const onStack = new Map<string, number>();
  // Explicit stack of (visit, entering?) pairs: deep stacks must not overflow ours.
  const work: { v: Visit; enter: boolean }[] = [];
  for (const c of root.children) pushChild(c, undefined, top, 'other', '(program): V8 and native code outside JavaScript');
  while (work.length > 0) {
    const { v, enter } = work.pop()!;
    const key = v.info.key;
    if (!enter) {
      onStack.set(key, onStack.get(key)! - 1);
      continue;
    }
    if (v.info.special === '(idle)') {
      a.idleMs += v.node.totalMs;
      continue;
    }
    const st = stats(a, v.info);
    const self = v.node.selfMs;
    st.selfMs += self;
    if (!v.nested) st.totalMs += v.node.totalMs;
    if (v.parent) {
      add(st.callers, v.parent.info.key, v.node.totalMs);
      add(v.parent.callees, key, v.node.totalMs);
    }
    add(st.selfByCategory, v.category, self);
    a.busyMs += self;
    a.categories[v.category] += self;
    if (v.category === 'other') add(a.otherModules, v.group, self);
    for (const pt of v.node.positionTicks) {
      const line = v.info.line > 0 ? resolver.sourceLine(v.info.url, pt.line) : undefined;
      if (line !== undefined) add(st.lineTicks, line, pt.ticks);
    }
    v.frame.selfMs += self;
    v.frame.totalMs += v.node.totalMs;
    onStack.set(key, (onStack.get(key) ?? 0) + 1);
    work.push({ v, enter: false });
    for (const c of v.node.children) pushChild(c, st, v.frame, v.category, v.group);
  }

  function pushChild(node: TreeNode, parent: FunctionStats | undefined, parentFrame: Frame, parentCat: Category, parentGroup: string): void {
    const info = resolver.resolve(node.frame);
    const own = info.category;
    const category: Category = own === 'inherit' ? parentCat : own;
    const group = own === 'inherit' && info.module === '' && parent !== undefined ? parentGroup : moduleGroup(info);
    const v: Visit = {
      node, info, category, group,
      frame: info.special === '(idle)' ? parentFrame : child(parentFrame, info, category),
      parent, nested: (onStack.get(info.key) ?? 0) > 0,
    };
    work.push({ v, enter: true });
  }
}

function stats(a: Analysis, info: FunctionInfo): FunctionStats {
  let s = a.functions.get(info.key);
  if (!s) {
    s = { info, selfMs: 0, totalMs: 0, callers: new Map(), callees: new Map(), lineTicks: new Map(), selfByCategory: new Map() };
    a.functions.set(info.key, s);
  }
  return s;
}

function newFrame(info: FunctionInfo, category: Category): Frame {
  return { key: info.key, info, selfMs: 0, totalMs: 0, category, children: new Map() };
}

function child(parent: Frame, info: FunctionInfo, category: Category): Frame {
  let f = parent.children.get(info.key);
  if (!f) {
    f = newFrame(info, category);
    parent.children.set(info.key, f);
  }
  return f;
}

function add<K>(m: Map<K, number>, k: K, v: number): void {
  m.set(k, (m.get(k) ?? 0) + v);
}

/** The category a function's own time went to (its module's, or for built-ins the callers' majority). */
export function mainCategory(s: FunctionStats): Category {
  if (s.info.category !== 'inherit') return s.info.category;
  let best: Category = 'other';
  let bestMs = -1;
  for (const [c, ms] of s.selfByCategory) if (ms > bestMs) [best, bestMs] = [c, ms];
  return best;
}

/** Functions by self time, largest first (ties by name, for stable output). */
export function bySelf(a: Analysis): FunctionStats[] {
  return [...a.functions.values()].sort((x, y) => y.selfMs - x.selfMs || x.info.key.localeCompare(y.info.key));
}

export const pct = (ms: number, of: number): number => (of > 0 ? (100 * ms) / of : 0);
