/**
 * Load merging (Merlin's "superword" merging): clang assembles a 16/32/64-bit field of a packet or
 * map value from byte loads, shifts and ORs when it cannot assume alignment. When a register ends up
 * holding bytes o…o+n−1 of one pointer in little-endian order, the whole sequence becomes one
 * n-byte load (big-endian order: the load and one `be` swap). The unaligned load is what the
 * verifier allows for packets and, on x86, map values; the safety check, the proof and the output
 * gate's kernel check decide. Other registers the sequence wrote must be dead after it.
 */
import type { Insn } from '../ebpf/insn.js';
import { isNop, NOP } from '../ebpf/k2-isa.js';
import { slotPass, type Pass, type PassContext } from './context.js';
import { ins, isControl, regEffects, specAt, writesMemory, type Proposal } from './insns.js';

/** One loaded piece: `size` bytes at base + off, shifted left by `shift` bits. */
interface Frag { off: number; size: number; shift: number }
interface Comp { frags: Frag[]; slots: number[] }

const SCAN = 16;
const LDX: Record<number, number> = { 2: 0x69, 4: 0x61, 8: 0x79 };
const BE = 0xdc;

/** The loaded bytes as byte offset → bit position, or undefined when pieces overlap or run past 64 bits. */
function bytesOf(c: Comp): Map<number, number> | undefined {
  const m = new Map<number, number>();
  for (const f of c.frags) {
    for (let b = 0; b < f.size; b++) {
      const pos = f.shift + 8 * b;
      if (pos >= 64 || m.has(f.off + b)) return undefined;
      m.set(f.off + b, pos);
    }
  }
  return m;
}

/** The load that equals `c`: its offset, size and byte order; undefined when none does. */
function asLoad(c: Comp): { off: number; size: number; be: boolean } | undefined {
  if (c.slots.length < 3) return undefined;
  const m = bytesOf(c);
  if (!m) return undefined;
  const n = m.size;
  if (n !== 2 && n !== 4 && n !== 8) return undefined;
  const lo = Math.min(...m.keys());
  let le = true, be = true;
  for (let i = 0; i < n; i++) {
    const p = m.get(lo + i);
    if (p !== 8 * i) le = false;
    if (p !== 8 * (n - 1 - i)) be = false;
  }
  return le ? { off: lo, size: n, be: false } : be ? { off: lo, size: n, be: true } : undefined;
}

function proposeAt(ctx: PassContext, s: number): Proposal | undefined {
  const insns = ctx.insns, first = insns[s]!, fs = specAt(first);
  if (!fs || fs.kind !== 'ldx' || fs.size > 2) return undefined;
  const base = first.src;
  const kinds = ctx.states.before[s]?.[base];
  if (!kinds || kinds.length === 0 || !kinds.every((k) => k.kind === 'pkt' || k.kind === 'map_value')) return undefined;
  const comp = new Map<number, Comp>();
  let touched = 0; // registers the contributing instructions read or write
  const others: number[] = []; // slots in between that do not contribute
  for (let k = s; k < insns.length && k <= s + SCAN; k++) {
    const x = insns[k]!, spec = specAt(x);
    if (k > s && ctx.targets.has(k)) return undefined;
    if (isNop(x)) continue;
    if (!spec || isControl(spec) || writesMemory(spec)) return undefined;
    const eff = regEffects(x, spec);
    if (eff.writes >> base & 1) return undefined;
    let made: Comp | undefined;
    if (spec.kind === 'ldx' && x.src === base && spec.size <= 4) made = { frags: [{ off: x.off, size: spec.size, shift: 0 }], slots: [k] };
    else if (spec.kind === 'alu' && spec.alu === 'lsh' && !spec.usesSrcReg && spec.width === 64 && comp.has(x.dst)) {
      const c = comp.get(x.dst)!;
      made = { frags: c.frags.map((f) => ({ ...f, shift: f.shift + x.imm })), slots: [...c.slots, k] };
    } else if (spec.kind === 'alu' && spec.alu === 'or' && spec.usesSrcReg && comp.has(x.dst) && comp.has(x.src) && x.src !== x.dst) {
      const a = comp.get(x.dst)!, b = comp.get(x.src)!;
      made = { frags: [...a.frags, ...b.frags], slots: [...a.slots, ...b.slots, k].sort((p, q) => p - q) };
    } else if (spec.kind === 'alu' && spec.alu === 'mov' && spec.usesSrcReg && spec.width === 64 && comp.has(x.src)) {
      const c = comp.get(x.src)!;
      made = { frags: c.frags, slots: [...c.slots, k].sort((p, q) => p - q) };
    }
    if (!made) {
      // Not part of a composition: it must keep clear of the registers the compositions use.
      if ((eff.reads | eff.writes) & touched) return undefined;
      others.push(k);
      continue;
    }
    touched |= eff.reads | eff.writes;
    for (const r of comp.keys()) if (eff.writes >> r & 1) comp.delete(r);
    comp.set(x.dst, made);
    const load = asLoad(made);
    if (!load) continue;
    // Every register the contributing instructions wrote, other than the result, must be dead after.
    let written = 0;
    for (const t of made.slots) written |= regEffects(insns[t]!).writes;
    const after = k + 1 < insns.length ? ctx.live.regs[k + 1]! : 0;
    if (after & written & ~(1 << x.dst)) continue;
    if (made.slots.some((t) => !comp.has(x.dst) || t < s)) continue;
    const repl: Insn[] = insns.slice(s, k + 1).map((z) => ({ ...z }));
    for (const t of made.slots) repl[t - s] = { ...NOP };
    const last = made.slots[made.slots.length - 1]!, prev = made.slots[made.slots.length - 2]!;
    const ld = ins(LDX[load.size]!, x.dst, base, load.off, 0);
    if (load.be) { repl[prev - s] = ld; repl[last - s] = ins(BE, x.dst, 0, 0, load.size * 8); }
    else repl[last - s] = ld;
    // A slot between the load and the swap that is not ours must not see the half-built result: none reads it (touched).
    return { s, e: k, replacement: repl };
  }
  return undefined;
}

export const loadMerge: Pass = slotPass('load-merge', 'byte loads assembled with shifts and ORs become one wider load (and a byte swap for big-endian order)', proposeAt);
