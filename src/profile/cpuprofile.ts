/**
 * V8 CPU profiles (`node --cpu-prof`, Chrome DevTools' `.cpuprofile`): reading and checking the JSON,
 * and turning one thread's nodes and samples into a call tree with self and total milliseconds per
 * node. A process with worker threads (z3-solver runs Z3 in pthread workers) writes one file per thread.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../ebpf/errors.js';

export interface CallFrame {
  functionName: string;
  scriptId?: string;
  url: string;
  /** 0-based line and column of the function's start; -1 for V8's pseudo-frames. */
  lineNumber: number;
  columnNumber: number;
}

export interface CpuProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
  /** Samples per source line (1-based) inside this function. */
  positionTicks?: { line: number; ticks: number }[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  /** Microseconds. */
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface TreeNode {
  id: number;
  frame: CallFrame;
  parent: TreeNode | undefined;
  children: TreeNode[];
  selfMs: number;
  totalMs: number;
  positionTicks: { line: number; ticks: number }[];
}

/** One thread's profile: its label (`main`, `thread 1`, …), call tree and wall-clock span. */
export interface ThreadProfile {
  label: string;
  file: string;
  root: TreeNode;
  wallMs: number;
  samples: number;
}

export function parseCpuProfile(text: string, file: string): CpuProfile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not a CPU profile (invalid JSON: ${(e as Error).message})`);
  }
  const p = data as Partial<CpuProfile>;
  if (typeof p !== 'object' || p === null || !Array.isArray(p.nodes) || p.nodes.length === 0) {
    throw new InputError(`${file}: not a CPU profile (no "nodes" array)`);
  }
  for (const n of p.nodes) {
    if (typeof n?.id !== 'number' || typeof n.callFrame?.functionName !== 'string' || typeof n.callFrame.url !== 'string') {
      throw new InputError(`${file}: not a CPU profile (a node lacks id/callFrame)`);
    }
  }
  if (typeof p.startTime !== 'number' || typeof p.endTime !== 'number') throw new InputError(`${file}: not a CPU profile (no startTime/endTime)`);
  if (p.samples !== undefined && (!Array.isArray(p.samples) || !Array.isArray(p.timeDeltas) || p.timeDeltas.length !== p.samples.length)) {
    throw new InputError(`${file}: not a CPU profile (samples and timeDeltas differ in length)`);
  }
  return p as CpuProfile;
}

export function readCpuProfile(file: string): CpuProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseCpuProfile(text, file);
}

/** Builds the call tree; sample i lasts until sample i+1 (the last one until endTime), as DevTools counts. */
export function buildTree(p: CpuProfile, file = '(profile)'): { root: TreeNode; wallMs: number; samples: number } {
  const byId = new Map<number, TreeNode>();
  for (const n of p.nodes) {
    byId.set(n.id, { id: n.id, frame: n.callFrame, parent: undefined, children: [], selfMs: 0, totalMs: 0, positionTicks: n.positionTicks ?? [] });
  }
  for (const n of p.nodes) {
    const t = byId.get(n.id)!;
    for (const c of n.children ?? []) {
      const child = byId.get(c);
      if (!child) throw new InputError(`${file}: node ${n.id} names a missing child ${c}`);
      if (child.parent) throw new InputError(`${file}: node ${c} has two parents`);
      child.parent = t;
      t.children.push(child);
    }
  }
  const roots = [...byId.values()].filter((t) => t.parent === undefined);
  if (roots.length !== 1) throw new InputError(`${file}: expected one root node, found ${roots.length}`);
  const root = roots[0]!;
  const wallMs = Math.max(0, (p.endTime - p.startTime) / 1000);
  let samples = 0;
  if (p.samples && p.timeDeltas && p.samples.length > 0) {
    const n = p.samples.length;
    let t = p.startTime;
    const stamps = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      t += Math.max(0, p.timeDeltas[i]!);
      stamps[i] = t;
    }
    for (let i = 0; i < n; i++) {
      const node = byId.get(p.samples[i]!);
      if (!node) throw new InputError(`${file}: sample ${i} names a missing node ${p.samples[i]}`);
      const next = i + 1 < n ? stamps[i + 1]! : Math.max(p.endTime, stamps[i]!);
      node.selfMs += Math.max(0, next - stamps[i]!) / 1000;
    }
    samples = n;
  } else {
    // No sample list (some exporters): hit counts spread evenly over the profile's span.
    const hits = p.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
    const each = hits > 0 ? wallMs / hits : 0;
    for (const n of p.nodes) byId.get(n.id)!.selfMs = (n.hitCount ?? 0) * each;
    samples = hits;
  }
  computeTotals(root);
  return { root, wallMs, samples };
}

function computeTotals(root: TreeNode): void {
  // Iterative post-order: stacks can be deep (recursive interpreters, wasm).
  const order: TreeNode[] = [];
  const stack: TreeNode[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    order.push(n);
    for (const c of n.children) stack.push(c);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i]!;
    n.totalMs = n.selfMs;
    for (const c of n.children) n.totalMs += c.totalMs;
  }
}

/** Node's file name: CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread. */
function nodeFileName(name: string): { pid: string; thread: number } | undefined {
  const m = /^CPU\.\d+\.\d+\.(\d+)\.(\d+)\.\d+\.cpuprofile$/.exec(name);
  return m ? { pid: m[1]!, thread: Number(m[2]) } : undefined;
}

/** Our own names: STEM.cpuprofile (main thread) and STEM.thread-N.cpuprofile beside it. */
export function threadFileName(stem: string, thread: number): string {
  return thread === 0 ? `${stem}.cpuprofile` : `${stem}.thread-${thread}.cpuprofile`;
}

export interface ThreadFile {
  file: string;
  thread: number;
}

/**
 * The thread files of one process, main thread first: a `.cpuprofile` path (plus its `.thread-N`
 * siblings), or a folder holding one such family, or the raw files of one `node --cpu-prof` run.
 */
export function profileFiles(path: string): ThreadFile[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new InputError(`${path}: no such profile (expected a .cpuprofile file or a profile folder)`);
  }
  if (st.isFile()) {
    // A thread file on its own is one thread; a main file brings its thread files along.
    const m = /^(.*)\.cpuprofile$/.exec(basename(path));
    const own = /\.thread-(\d+)$/.exec(m?.[1] ?? '');
    if (!m || own) return [{ file: path, thread: own ? Number(own[1]) : 0 }];
    const stem = m[1]!;
    const dir = dirname(path);
    const threads: ThreadFile[] = [];
    for (const f of readdirSync(dir)) {
      const t = f.startsWith(`${stem}.thread-`) ? /^\.thread-(\d+)\.cpuprofile$/.exec(f.slice(stem.length)) : null;
      if (t) threads.push({ file: join(dir, f), thread: Number(t[1]) });
    }
    return [{ file: path, thread: 0 }, ...threads.sort((a, b) => a.thread - b.thread)];
  }
  const files = readdirSync(path).filter((f) => f.endsWith('.cpuprofile')).sort();
  if (files.includes('optimizer.cpuprofile')) return profileFiles(join(path, 'optimizer.cpuprofile'));
  const mains = files.filter((f) => !/\.thread-\d+\.cpuprofile$/.test(f));
  if (mains.length === 1) return profileFiles(join(path, mains[0]!));
  if (mains.length === 0) throw new InputError(`${path}: no .cpuprofile in this folder`);
  const raw = mains.map((f) => ({ f, n: nodeFileName(f) }));
  if (raw.every((r) => r.n !== undefined && r.n.pid === raw[0]!.n!.pid)) {
    return raw.map((r) => ({ file: join(path, r.f), thread: r.n!.thread })).sort((a, b) => a.thread - b.thread);
  }
  throw new InputError(`${path}: several profiles in this folder (${mains.join(', ')}); name one file`);
}

/** Reads every thread of one process (main first). */
export function readThreads(path: string): ThreadProfile[] {
  return profileFiles(path).map(({ file, thread }) => {
    const { root, wallMs, samples } = buildTree(readCpuProfile(file), file);
    return { label: thread === 0 ? 'main' : `thread ${thread}`, file, root, wallMs, samples };
  });
}
