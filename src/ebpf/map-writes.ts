/**
 * Which maps a program can change: a conservative data-flow analysis over the linked program
 * (every function, loops, BPF-to-BPF calls) so that a differential test reads back only those
 * maps after each kernel run (Katran's 134 MB ch_rings is only ever read: scanning it cost
 * 0.4 s per input). A map counts as written when the program
 *  - passes its handle to a helper other than a pure lookup (update, delete, push, pop, …), or
 *  - stores or runs an atomic through a register that may point into one of its values, or
 *  - passes such a pointer to a helper argument the helper may write (or to a kfunc).
 * Register values are sets of "may point into map M" bits plus one bit for "may point into a
 * stack". Spilled pointers are tracked per 8-byte slot of the current frame; anything stored
 * through another stack pointer joins a global pool every indirect or stack load may return.
 * Loads through non-stack memory (context, packet, map values) give no map pointer: the verifier
 * types such loads as scalars (or kernel objects), never as dereferenceable map values.
 * A map-in-map stands for itself and every map the loader puts in its slots.
 * When unsure (callbacks, more than 30 maps, odd stack offsets) every map counts as written.
 */
import { helperProto } from './helpers.js';
import type { Insn } from './insn.js';
import { CallKind, Cls, Jmp, Mask, Mode, Opcode, Pseudo, SIZE_BYTES, Alu } from './opcodes.js';
import type { Program } from './program.js';

export interface MapWrites {
  /** Indices into `prog.maps` of the maps the program may change. */
  written: Set<number>;
  /** Set when the analysis gave up and counts every map as written: why. */
  unsure?: string;
}

const STK = 1;
const MAX_MAPS = 30;
const SLOTS = 64; // 512 stack bytes, 8 per slot
const REGS = 11;
const WORDS = REGS + SLOTS;
/** Helpers that take a map handle without changing the map's contents. */
const READS_MAP = new Set([1 /* lookup */, 89 /* peek */]);
/** Helpers whose map-key / map-value pointer arguments are only read. */
const READS_VALUE_ARGS = new Set([1, 2, 3, 87]);

class Unsure extends Error {}

const mapBit = (i: number): number => 1 << (i + 1);

export function mapWrites(prog: Program): MapWrites {
  const all = new Set(prog.maps.map((_, i) => i));
  try {
    if (prog.maps.length > MAX_MAPS) throw new Unsure(`${prog.maps.length} maps (the analysis tracks ${MAX_MAPS})`);
    return { written: new Analysis(prog).run() };
  } catch (e) {
    if (e instanceof Unsure) return { written: all, unsure: e.message };
    throw e;
  }
}

class Analysis {
  private readonly insns: readonly Insn[];
  /** Function entry of every slot (0 for the main program). */
  private readonly fnOf: Int32Array;
  private written = 0;
  /** Everything stored to any stack slot (what a load through a derived stack pointer may read). */
  private stored = 0;
  /** Everything stored through a stack pointer other than r10 + constant (may land in any slot of any frame). */
  private indirect = 0;
  private readonly ret = new Map<number, number>();
  private readonly entryIn = new Map<number, Int32Array>();
  private states: (Int32Array | undefined)[] = [];
  /** A map reference's bits: the map, and for a map-in-map every map the loader puts in its slots. */
  private readonly bits: number[];

  constructor(private readonly prog: Program) {
    this.insns = prog.insns;
    this.bits = prog.maps.map((m, i) => {
      let b = mapBit(i);
      for (const { map } of m.innerSlots ?? []) {
        const j = prog.maps.findIndex((x) => x.name === map);
        if (j < 0) throw new Unsure(`map '${m.name}': inner map '${map}' not among the program's maps`);
        b |= mapBit(j);
      }
      return b;
    });
    const entries = new Set<number>([0, ...(prog.functions ?? []).map((f) => f.insn)]);
    this.insns.forEach((ins, pc) => {
      if (ins.op === Opcode.CALL && ins.src === CallKind.LOCAL) entries.add(pc + 1 + ins.imm);
    });
    const sorted = [...entries].sort((a, b) => a - b);
    this.fnOf = new Int32Array(this.insns.length);
    let k = 0;
    for (let pc = 0; pc < this.insns.length; pc++) {
      while (k + 1 < sorted.length && sorted[k + 1]! <= pc) k++;
      this.fnOf[pc] = sorted[k]!;
    }
  }

  run(): Set<number> {
    // The globals only grow: rerun the flow until a pass leaves them as they were.
    for (let pass = 0; ; pass++) {
      if (pass > 50) throw new Unsure('no fixpoint after 50 passes');
      const before = [this.written, this.stored, this.indirect, ...this.ret.values()].join();
      this.flow();
      if ([this.written, this.stored, this.indirect, ...this.ret.values()].join() === before) break;
    }
    const out = new Set<number>();
    this.prog.maps.forEach((_, i) => { if (this.written & mapBit(i)) out.add(i); });
    return out;
  }

  private flow(): void {
    this.states = new Array(this.insns.length);
    this.entryIn.clear();
    const init = new Int32Array(WORDS);
    init[10] = STK;
    const work: number[] = [];
    const push = (pc: number, s: Int32Array): void => {
      if (pc < 0 || pc >= this.insns.length) throw new Unsure(`jump to slot ${pc} outside the program`);
      const cur = this.states[pc];
      if (!cur) { this.states[pc] = s.slice(); work.push(pc); return; }
      let changed = false;
      for (let i = 0; i < WORDS; i++) {
        const v = cur[i]! | s[i]!;
        if (v !== cur[i]) { cur[i] = v; changed = true; }
      }
      if (changed) work.push(pc);
    };
    push(0, init);
    let steps = 0;
    while (work.length > 0) {
      if (++steps > 2_000_000) throw new Unsure('too many steps');
      const pc = work.pop()!;
      this.step(pc, this.states[pc]!.slice(), push);
    }
  }

  private mapIndex(ins: Insn, byIndex: boolean): number {
    const i = byIndex ? ins.imm : this.prog.maps.findIndex((m) => m.fd === ins.imm);
    if (i < 0 || i >= this.prog.maps.length) throw new Unsure(`map reference ${ins.imm} not among the program's maps`);
    return i;
  }

  private slot(off: number, size: number): number {
    if (off < -512 || off + size > 0) throw new Unsure(`stack access at r10${off}`);
    return (off + 512) >> 3;
  }

  /** What a load of `size` bytes at base+off may yield. */
  private load(s: Int32Array, base: number, off: number, size: number): number {
    if (base === 10) {
      let v = this.indirect;
      for (let k = this.slot(off, size); k <= this.slot(off + size - 1, 1); k++) v |= s[REGS + k]!;
      return v;
    }
    return s[base]! & STK ? this.stored : 0;
  }

  /** A store of `value` bits through base+off; `strong`: an aligned 8-byte store replaces the slot. */
  private store(s: Int32Array, base: number, off: number, size: number, value: number, strong: boolean): void {
    const b = s[base]!;
    this.written |= b & ~STK;
    if (base === 10) {
      const first = this.slot(off, size), last = this.slot(off + size - 1, 1);
      for (let k = first; k <= last; k++) s[REGS + k] = strong && size === 8 && (off & 7) === 0 ? value : s[REGS + k]! | value;
      this.stored |= value;
    } else if (b & STK) {
      this.indirect |= value;
      this.stored |= value;
    }
  }

  private step(pc: number, s: Int32Array, push: (pc: number, s: Int32Array) => void): void {
    const ins = this.insns[pc]!;
    const cls = ins.op & Mask.CLASS;
    switch (cls) {
      case Cls.LD: {
        if (ins.op === Opcode.LDDW) {
          const p = ins.src;
          if (p === Pseudo.FUNC) throw new Unsure(`instruction ${pc}: a callback (BPF_PSEUDO_FUNC)`);
          s[ins.dst] = p === Pseudo.MAP_FD || p === Pseudo.MAP_VALUE ? this.bits[this.mapIndex(ins, false)]!
            : p === Pseudo.MAP_IDX || p === Pseudo.MAP_IDX_VALUE ? this.bits[this.mapIndex(ins, true)]! : 0;
          push(pc + 2, s);
          return;
        }
        // LD_ABS / LD_IND: r0 = packet data; r1–r5 clobbered.
        for (let r = 0; r <= 5; r++) s[r] = 0;
        push(pc + 1, s);
        return;
      }
      case Cls.LDX:
        s[ins.dst] = this.load(s, ins.src, ins.off, SIZE_BYTES[ins.op & Mask.SIZE]!);
        push(pc + 1, s);
        return;
      case Cls.ST:
        this.store(s, ins.dst, ins.off, SIZE_BYTES[ins.op & Mask.SIZE]!, 0, true);
        push(pc + 1, s);
        return;
      case Cls.STX: {
        const size = SIZE_BYTES[ins.op & Mask.SIZE]!;
        if ((ins.op & Mask.MODE) === Mode.ATOMIC) {
          const old = this.load(s, ins.dst, ins.off, size);
          this.store(s, ins.dst, ins.off, size, s[ins.src]!, false);
          // Fetching forms load the old value into src (cmpxchg: into r0).
          s[ins.src] = s[ins.src]! | old;
          s[0] = s[0]! | old;
        } else {
          this.store(s, ins.dst, ins.off, size, s[ins.src]!, true);
        }
        push(pc + 1, s);
        return;
      }
      case Cls.ALU:
      case Cls.ALU64: {
        const op = ins.op & Mask.OP;
        const x = (ins.op & Mask.SRC) !== 0;
        if (op === Alu.MOV) s[ins.dst] = x ? s[ins.src]! : 0;
        else if (x) s[ins.dst] = s[ins.dst]! | s[ins.src]!;
        push(pc + 1, s);
        return;
      }
      default:
        this.jump(pc, ins, s, push);
    }
  }

  private jump(pc: number, ins: Insn, s: Int32Array, push: (pc: number, s: Int32Array) => void): void {
    const op = ins.op & Mask.OP;
    if (op === Jmp.EXIT) {
      const fn = this.fnOf[pc]!;
      if (fn !== 0) this.ret.set(fn, (this.ret.get(fn) ?? 0) | s[0]!);
      return;
    }
    if (op === Jmp.CALL) {
      if ((ins.op & Mask.SRC) !== 0) throw new Unsure(`instruction ${pc}: an indirect call`);
      if (ins.src === CallKind.LOCAL) {
        const target = pc + 1 + ins.imm;
        const entry = new Int32Array(WORDS);
        for (let r = 1; r <= 5; r++) entry[r] = s[r]!;
        entry[10] = STK;
        push(target, entry);
        s[0] = this.ret.get(target) ?? 0;
      } else {
        this.helperCall(ins, s);
      }
      for (let r = 1; r <= 5; r++) s[r] = 0;
      // A callee may have stored through a pointer into this frame.
      if (ins.src === CallKind.LOCAL) for (let k = 0; k < SLOTS; k++) s[REGS + k] = s[REGS + k]! | this.indirect;
      push(pc + 1, s);
      return;
    }
    if (op === Jmp.JA) {
      push(pc + 1 + ((ins.op & Mask.CLASS) === Cls.JMP32 ? ins.imm : ins.off), s);
      return;
    }
    push(pc + 1, s);
    push(pc + 1 + ins.off, s);
  }

  private helperCall(ins: Insn, s: Int32Array): void {
    const proto = ins.src === CallKind.HELPER ? helperProto(ins.imm) : undefined;
    let args = 0;
    for (let r = 1; r <= 5; r++) args |= s[r]!;
    if (!proto) {
      // A kfunc or a helper the table lacks: it may write through any pointer and return any of them.
      this.written |= args & ~STK;
      s[0] = args;
      return;
    }
    proto.args.forEach((a, i) => {
      const v = s[i + 1]! & ~STK;
      if (a.kind === 'map') { if (!READS_MAP.has(proto.id)) this.written |= v; return; }
      if ((a.kind === 'map-key' || a.kind === 'map-value') && READS_VALUE_ARGS.has(proto.id)) return;
      if (a.kind === 'scalar' || a.kind === 'size' || a.kind === 'ctx' || a.kind === 'mem-read') return;
      this.written |= v;
    });
    s[0] = proto.ret === 'map-value-or-null' ? s[1]! & ~STK : 0;
  }
}
