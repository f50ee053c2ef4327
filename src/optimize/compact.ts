/**
 * Compaction: the search deletes an instruction by turning it into a NOP (`ja +0`); what is written
 * leaves those slots out. Every relative target — jump offsets (`off`, or `imm` for the 32-bit
 * `gotol`), BPF-to-BPF call offsets and code addresses of `ld_imm64` with the pseudo-func source — is
 * recomputed from the old-to-new slot map, which the object writer also uses for relocations,
 * symbols and .BTF.ext records. A jump to a deleted slot lands on the next kept one: the same
 * instruction a fall-through through the NOP would reach.
 */
import type { Insn } from '../ebpf/insn.js';
import { LDDW_OPCODE } from '../ebpf/insn.js';
import { PSEUDO, specOf } from '../ebpf/opcodes.js';
import { isNop } from '../ebpf/k2-isa.js';
import type { Program } from '../ebpf/program.js';

export interface Compaction {
  insns: Insn[];
  /** Old slot → new slot (length old + 1); a deleted slot maps to the next kept one, the end to the new length. */
  newSlot: Int32Array;
  /** Slots left out. */
  removed: number;
}

type RelField = 'off' | 'imm';

/** Which field of an instruction holds a target relative to the next slot, if any. */
function relativeField(x: Insn): RelField | undefined {
  if (x.op === LDDW_OPCODE) return x.src === PSEUDO.FUNC ? 'imm' : undefined;
  const s = specOf(x.op, x.src, x.off, x.imm);
  if (!s) return undefined;
  if (s.kind === 'jcond' || s.kind === 'ja') return 'off';
  if (s.kind === 'ja32' || s.name === 'call_local') return 'imm';
  return undefined;
}

/** `removable`: the slots whose NOPs may go (default all; an object writer limits it to the sections it proved). */
export function compact(insns: readonly Insn[], removable: (slot: number) => boolean = () => true): Compaction {
  const n = insns.length;
  const newSlot = new Int32Array(n + 1);
  const keep: boolean[] = [];
  let kept = 0;
  for (let i = 0; i < n; i++) {
    newSlot[i] = kept;
    // A 64-bit load's second half (opcode 0) is never a NOP, so pairs stay together.
    const k = !isNop(insns[i]!) || !removable(i);
    keep.push(k);
    if (k) kept++;
  }
  newSlot[n] = kept;
  const out: Insn[] = [];
  for (let i = 0; i < n; i++) {
    if (!keep[i]) continue;
    const x = { ...insns[i]! };
    const f = relativeField(x);
    if (f) {
      const target = i + 1 + x[f];
      if (target < 0 || target > n) throw new Error(`compaction: slot ${i} targets slot ${target}, outside the program`);
      x[f] = newSlot[target]! - (newSlot[i]! + 1);
    }
    out.push(x);
    if (x.op === LDDW_OPCODE && i + 1 < n) { out.push({ ...insns[i + 1]! }); i++; }
  }
  return { insns: out, newSlot, removed: n - kept };
}

/**
 * The program as written: compacted instructions, and every instruction index the program carries
 * (BTF func/line info, function starts, kfunc and poisoned call sites) moved with the slot map, so
 * the kernel's check of the candidate sees consistent line info. Func and line records keep the
 * last one per slot (as the object writer does); ones past the end are dropped.
 */
export function compactedProgram(p: Program, c: Compaction): Program {
  const end = c.newSlot[c.newSlot.length - 1]!;
  const at = (i: number): number | undefined => {
    const s = c.newSlot[i];
    return s === undefined || s >= end ? undefined : s;
  };
  const moved = <T extends { insn: number }>(xs: readonly T[], lastPerSlot: boolean): T[] => {
    const out: T[] = [];
    for (const x of xs) {
      const insn = at(x.insn);
      if (insn === undefined) continue;
      if (lastPerSlot && out.length > 0 && out[out.length - 1]!.insn === insn) out.pop();
      out.push({ ...x, insn });
    }
    return out;
  };
  const q: Program = { ...p, insns: c.insns };
  if (p.btf) q.btf = { bytes: p.btf.bytes, funcInfo: moved(p.btf.funcInfo, true), lineInfo: moved(p.btf.lineInfo, true) };
  if (p.functions) q.functions = moved(p.functions, true).map(({ name, insn }) => ({ name, insn }));
  if (p.kfuncs) q.kfuncs = moved(p.kfuncs, false);
  if (p.poisoned) q.poisoned = moved(p.poisoned, false);
  return q;
}
