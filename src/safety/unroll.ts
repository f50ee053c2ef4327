/**
 * Bounded loops for the safety checker, the way the kernel verifies them: by walking each iteration.
 * The checker's data flow runs in slot order with no back edges, so a program with loops is checked
 * as an *unrolled* copy: every loop region [h, b] (h the target of back edges, b the last of them)
 * becomes `copies` copies laid out one after the other, the back edge of copy c jumping to copy c + 1
 * and the last copy's to a trap slot at the end. Where the checker proves the trap unreachable (the
 * loop counter is a known number in every copy and the exit test decides: see the checker's
 * constant-branch rule), no execution takes a back edge `copies` times, so every execution is a path
 * through the unrolled program, and its safety is the original's. Inner loops are unrolled first.
 */
import { LDDW_OPCODE, type Insn } from '../ebpf/insn.js';
import { specOf } from '../ebpf/opcodes.js';

export interface Unrolled {
  insns: Insn[];
  /** Unrolled slot → original slot; −1 for the trap and for the jumps added after a copy. */
  orig: Int32Array;
  /** The trap's slot (the last one). */
  trap: number;
}

/** The largest unrolled program the checker (and a window query's prefix) will build. */
export const MAX_UNROLLED_SLOTS = 1 << 16;

interface Node { insn: Insn; orig: number; target: Node | undefined }

const JA: Insn = Object.freeze({ op: 0x05, dst: 0, src: 0, off: 0, imm: 0 });
const EXIT: Insn = Object.freeze({ op: 0x95, dst: 0, src: 0, off: 0, imm: 0 });

/** Whether slot i (not a 64-bit load's second half) jumps, and where: ja/ja32/jcond only. */
function jumpTarget(insns: readonly Insn[], i: number): number | undefined {
  const x = insns[i]!;
  const s = specOf(x.op, x.src, x.off, x.imm);
  if (!s) return undefined;
  if (s.kind === 'ja32') return i + 1 + x.imm;
  if (s.kind === 'ja' || s.kind === 'jcond') return i + 1 + x.off;
  return undefined;
}

/** Whether control may fall from this node to the next one in the layout. */
function fallsThrough(x: Insn): boolean {
  const s = specOf(x.op, x.src, x.off, x.imm);
  return !(s && (s.kind === 'exit' || s.kind === 'ja' || s.kind === 'ja32'));
}

/**
 * `insns[0, n)` with every loop unrolled `copies` times, or why it cannot be (overlapping loops, or
 * more than `maxSlots` slots). Jump targets must already be valid slots (the checker's pass 1).
 */
export function unrollLoops(insns: readonly Insn[], n: number, copies: number, maxSlots: number): Unrolled | string {
  let list: Node[] = [];
  for (let i = 0; i < n; i++) list.push({ insn: insns[i]!, orig: i, target: undefined });
  for (let i = 0; i < n; i++) {
    if (insns[i]!.op === LDDW_OPCODE) { i++; continue; }
    const t = jumpTarget(insns, i);
    if (t !== undefined && t >= 0 && t < n) list[i]!.target = list[t]!;
  }
  const trap: Node = { insn: EXIT, orig: -1, target: undefined };
  for (;;) {
    const pos = new Map<Node, number>();
    list.forEach((x, i) => pos.set(x, i));
    // Loops: header → its last back edge.
    const last = new Map<number, number>();
    list.forEach((x, i) => {
      const t = x.target === undefined || x.target === trap ? undefined : pos.get(x.target)!;
      if (t !== undefined && t <= i) last.set(t, Math.max(last.get(t) ?? -1, i));
    });
    if (last.size === 0) break;
    const loops = [...last].map(([h, b]) => ({ h, b }));
    // A loop whose region holds another's header but ends first (clang lays out `continue`s and
    // inner loops so) takes in the rest of the other: copying code beyond a loop's own is harmless —
    // every path keeps its order, and each back edge to the header still moves on one copy.
    for (let grown = true; grown;) {
      grown = false;
      for (const a of loops) {
        for (const c of loops) if (a !== c && a.h < c.h && c.h <= a.b && a.b < c.b) { a.b = c.b; grown = true; }
      }
    }
    // An innermost loop: it contains no other loop's header.
    const inner = loops.find((a) => !loops.some((c) => c !== a && a.h <= c.h && c.b <= a.b))!;
    const next = unrollOne(list, pos, inner.h, inner.b, copies, trap);
    if (typeof next === 'string') return next;
    if (next.length + 1 > maxSlots) return `unrolling the loops ${copies} times takes more than ${maxSlots} slots`;
    list = next;
  }
  list.push(trap);
  return layOut(list, trap);
}

/** Region [h, b] of `list` as `copies` copies; jumps into it from outside go to the first copy. */
function unrollOne(list: Node[], pos: Map<Node, number>, h: number, b: number, copies: number, trap: Node): Node[] | string {
  const region = list.slice(h, b + 1);
  const after = list[b + 1];
  const tail = region[region.length - 1]!;
  if (fallsThrough(tail.insn) && after === undefined) return `the loop ending at slot ${tail.orig} can fall off the end of the program`;
  const clones: Map<Node, Node>[] = [];
  for (let c = 0; c < copies; c++) clones.push(new Map(region.map((x) => [x, { insn: x.insn, orig: x.orig, target: undefined }])));
  const out: Node[] = list.slice(0, h);
  for (let c = 0; c < copies; c++) {
    const m = clones[c]!;
    for (const x of region) {
      const y = m.get(x)!;
      const t = x.target;
      if (t !== undefined) {
        const tp = t === trap ? -1 : pos.get(t)!;
        if (tp >= h && tp <= b) y.target = tp > pos.get(x)! ? m.get(t)! : c + 1 < copies ? clones[c + 1]!.get(t)! : trap;
        else y.target = t;
      }
      out.push(y);
    }
    // The next copy follows in the layout: leaving this one by falling through needs a jump.
    if (c + 1 < copies && fallsThrough(tail.insn)) out.push({ insn: JA, orig: -1, target: after });
  }
  for (const x of list.slice(b + 1)) out.push(x);
  // Jumps from outside into the loop (from before it: from after it they would be overlapping loops).
  const first = clones[0]!;
  for (let i = 0; i < h; i++) { const x = list[i]!; if (x.target !== undefined && first.has(x.target)) x.target = first.get(x.target)!; }
  return out;
}

/** Slots for the nodes, jump offsets recomputed (new instruction objects only where an offset changed). */
function layOut(list: Node[], trap: Node): Unrolled {
  const pos = new Map<Node, number>();
  list.forEach((x, i) => pos.set(x, i));
  const insns: Insn[] = [];
  const orig = new Int32Array(list.length);
  list.forEach((x, i) => {
    orig[i] = x.orig;
    if (x.target === undefined) { insns.push(x.insn); return; }
    const rel = pos.get(x.target)! - i - 1;
    const s = specOf(x.insn.op, x.insn.src, x.insn.off, x.insn.imm);
    if (s?.kind === 'ja32') insns.push(rel === x.insn.imm ? x.insn : { ...x.insn, imm: rel });
    else insns.push(rel === x.insn.off ? x.insn : { ...x.insn, off: rel });
  });
  return { insns, orig, trap: pos.get(trap)! };
}
