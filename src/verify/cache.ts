/**
 * K2's program-equivalence cache (k2-spec.md §6.5), keyed by a canonical form of the candidate: dead
 * register writes removed (backward liveness, r0 live at exits; memory writes and loads are never
 * dead, loads may fault), then NOPs removed with jump offsets fixed. It stores full results,
 * counterexamples included, so turning it on or off cannot change a search's trajectory.
 */
import type { Insn } from '../ebpf/insn.js';
import { Cls, Jmp, Opcode, Pseudo, specOf } from '../ebpf/opcodes.js';
import type { EquivalenceResult } from '../search/equivalence.js';
import { isNop } from '../ebpf/k2-isa.js';

const ALL = 0x7ff;
const bit = (r: number): number => 1 << r;

/** Registers read and written by one instruction (conservative for anything unusual). */
function useDef(ins: Insn): { use: number; def: number; pure: boolean } {
  const s = specOf(ins.op, ins.src, ins.off, ins.imm);
  if (!s) return { use: ALL, def: 0, pure: false };
  const src = s.usesSrcReg ? bit(ins.src) : 0;
  switch (s.kind) {
    case 'alu': return { use: (s.alu === 'mov' ? 0 : bit(ins.dst)) | src, def: bit(ins.dst), pure: true };
    case 'neg': case 'endian': case 'bswap': return { use: bit(ins.dst), def: bit(ins.dst), pure: true };
    case 'movsx': return { use: bit(ins.src), def: bit(ins.dst), pure: true };
    case 'lddw': return { use: 0, def: bit(ins.dst), pure: ins.src === Pseudo.NONE || ins.src === Pseudo.MAP_FD };
    case 'ldx': case 'ldxs': return { use: bit(ins.src), def: bit(ins.dst), pure: false };
    case 'st': return { use: bit(ins.dst), def: 0, pure: false };
    case 'stx': return { use: bit(ins.dst) | bit(ins.src), def: 0, pure: false };
    case 'atomic': return { use: bit(ins.dst) | bit(ins.src) | bit(0), def: bit(ins.src) | bit(0), pure: false };
    case 'jcond': return { use: bit(ins.dst) | src, def: 0, pure: false };
    case 'ja': case 'ja32': return { use: 0, def: 0, pure: false };
    case 'call': return { use: 0x3e | bit(0), def: bit(0), pure: false };
    case 'exit': return { use: bit(0), def: 0, pure: false };
    case 'ldabs': case 'ldind': return { use: src | bit(0), def: bit(0), pure: false };
    default: return { use: ALL, def: 0, pure: false };
  }
}

function targetOf(ins: Insn, i: number): number | undefined {
  const s = specOf(ins.op, ins.src, ins.off, ins.imm);
  if (!s) return undefined;
  if (s.kind === 'jcond' || s.kind === 'ja') return i + 1 + ins.off;
  if (s.kind === 'ja32') return i + 1 + ins.imm;
  return undefined;
}

/** The canonical form: semantics-preserving, so equal forms have equal verdicts. */
export function canonicalForm(insns: readonly Insn[]): Insn[] {
  const n = insns.length;
  const prog = insns.map((x) => ({ ...x }));
  const half = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (prog[i]!.op === Opcode.LDDW && !half[i]) half[i + 1] = 1;
  // Backward liveness over the forward-only DAG (anything unusual keeps everything live).
  const liveIn = new Int32Array(n + 1).fill(ALL);
  liveIn[n] = ALL;
  const dead = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    if (half[i]) { liveIn[i] = ALL; continue; }
    const ins = prog[i]!;
    const s = specOf(ins.op, ins.src, ins.off, ins.imm);
    const t = targetOf(ins, i);
    if (t !== undefined && t <= i) return prog; // loops: leave the program as it is
    const next = s?.kind === 'lddw' ? i + 2 : i + 1;
    let out = 0;
    if (s?.kind === 'exit') out = 0;
    else if (s?.kind === 'ja' || s?.kind === 'ja32') out = liveIn[Math.min(t!, n)]!;
    else if (s?.kind === 'jcond') out = liveIn[Math.min(next, n)]! | liveIn[Math.min(t!, n)]!;
    else out = liveIn[Math.min(next, n)]!;
    const { use, def, pure } = useDef(ins);
    if (pure && (out & def) === 0) { dead[i] = 1; liveIn[i] = out; continue; }
    liveIn[i] = (out & ~def) | use;
  }
  const keep: boolean[] = prog.map((x, i) => !(dead[i] || (dead[i - 1] && half[i]) || (isNop(x) && !half[i])));
  const newIndex = new Int32Array(n + 1);
  let k = 0;
  for (let i = 0; i < n; i++) { newIndex[i] = k; if (keep[i]) k++; }
  newIndex[n] = k;
  const out: Insn[] = [];
  for (let i = 0; i < n; i++) {
    if (!keep[i]) continue;
    const ins = { ...prog[i]! };
    const t = half[i] ? undefined : targetOf(ins, i);
    if (t !== undefined) {
      const nt = t >= n ? newIndex[n]! + (t - n) : newIndex[t]!;
      const rel = nt - (newIndex[i]! + 1);
      if (ins.op === (Cls.JMP32 | Jmp.JA)) ins.imm = rel; else ins.off = rel;
    }
    out.push(ins);
  }
  return out;
}

export function canonicalKey(insns: readonly Insn[]): string {
  return slotsKey(canonicalForm(insns));
}

/** The program exactly as it is, slot by slot, as a string key. */
export function slotsKey(insns: readonly Insn[]): string {
  return insns.map((x) => `${x.op},${x.dst},${x.src},${x.off},${x.imm}`).join(';');
}

/** Results by canonical form (verdict and counterexample), per original program. */
export class EquivalenceCache {
  private readonly map = new Map<string, EquivalenceResult>();
  hits = 0;

  /** `scope` separates verdicts that hold only in a context (a window query's start and window). */
  get(insns: readonly Insn[], scope = ''): EquivalenceResult | undefined {
    const r = this.map.get(scope + canonicalKey(insns));
    if (r) this.hits++;
    return r;
  }

  set(insns: readonly Insn[], r: EquivalenceResult, scope = ''): void {
    this.map.set(scope + canonicalKey(insns), r);
  }

  get size(): number { return this.map.size; }
}
