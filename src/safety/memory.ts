/**
 * Memory accesses through a pointer register: loads, stores, atomics and helper buffer arguments.
 * Each region has its rule — stack bounds, alignment and initialised bytes; context fields per
 * model; packet bytes proven by a bounds check; map values within value_size after a null check.
 */
import type { Insn } from '../ebpf/insn.js';
import type { OpSpec } from '../ebpf/opcodes.js';
import { Violation } from '../ebpf/violations.js';
import { CTX_DENIED, PacketAccess, ctxLoad, ctxStoreAllowed } from './context.js';
import type { Core } from './core.js';
import { STACK_FRAME_BYTES } from '../ebpf/abi.js';
import { AUX, KIND, Kind, OFF, PKT_RANGE, SYM, factFor, highOf, isScalarKind, isSlotNumber, lowOf, refineSymbol, setReg } from './types.js';

export const enum Access {
  Read = 0,
  /** STX: store a register. */
  Write = 1,
  /** ST: store an immediate (not allowed into the context). */
  WriteImm = 2,
  /** Read-modify-write (atomics). */
  Atomic = 3,
  /** A helper reads the bytes (map key/value, perf output data): no alignment rule, no context. */
  HelperRead = 4,
  /** A helper writes the bytes (ARG_PTR_TO_UNINIT_MEM): may be uninitialised, initialised after. */
  HelperWrite = 5,
  /** A helper reads and writes the bytes (ARG_PTR_TO_MEM): initialised and writable. */
  HelperReadWrite = 6,
}

/** Kind of the value a successful Read produced (set by `access`). */
let loaded: Kind = Kind.Scalar;

/** Checks an access of `size` bytes at r + off; updates stack readability for writes. */
export function access(c: Core, r: number, off: number, size: number, mode: Access, pc: number): Violation {
  const st = c.st, t = c.t;
  if (!st.regReadable(r)) return c.errors.fail(Violation.UnreadableRegister, pc, `r${r} is used as an address but is not initialised`);
  const kind = t[KIND + r]! as Kind, sym = t[SYM + r]!, base = t[OFF + r]!;
  const writes = mode === Access.Write || mode === Access.WriteImm || mode === Access.Atomic || mode === Access.HelperWrite || mode === Access.HelperReadWrite;
  const helper = mode >= Access.HelperRead;
  loaded = Kind.Scalar;
  switch (kind) {
    case Kind.Stack: {
      const a = base + off; // relative to r10
      if (sym !== 0 || a < -STACK_FRAME_BYTES || a + size > 0) return c.errors.fail(Violation.StackBounds, pc, `stack access at r10${a} (${size} bytes) is outside [r10-512, r10)`);
      if (!helper && -a % size !== 0) return c.errors.fail(Violation.StackAlignment, pc, `stack access at r10${a} is not aligned to ${size} bytes`);
      const at = STACK_FRAME_BYTES + a;
      if (mode !== Access.Write && mode !== Access.WriteImm && mode !== Access.HelperWrite && !st.stackReadable(at, size)) {
        return c.errors.fail(Violation.UnreadableStack, pc, `stack bytes r10${a}…r10${a + size - 1} are read before being written`);
      }
      if (writes) st.setStackReadable(at, size, true);
      return Violation.None;
    }
    case Kind.Ctx: {
      if (sym !== 0 || base !== 0) return c.errors.fail(Violation.ContextAccess, pc, `dereference of a modified context pointer (r${r} = ctx + ${base})`);
      if (helper) return c.errors.fail(Violation.HelperArgument, pc, `r${r}: the context is not a buffer argument`);
      if (mode === Access.WriteImm || mode === Access.Atomic) return c.errors.fail(Violation.ContextAccess, pc, 'immediate stores and atomics into the context are not allowed');
      if (mode === Access.Write) {
        if (!ctxStoreAllowed(c.info, off, size)) return c.errors.fail(Violation.ContextAccess, pc, `context bytes ${off}…${off + size - 1} are not writable`);
        return Violation.None;
      }
      const k = ctxLoad(c.info, off, size);
      if (k === CTX_DENIED) return c.errors.fail(Violation.ContextAccess, pc, `invalid context access at offset ${off}, ${size} bytes`);
      loaded = k as Kind;
      return Violation.None;
    }
    case Kind.Pkt: {
      const pa = c.info.packetAccess;
      if (pa === PacketAccess.None || (writes && pa !== PacketAccess.ReadWrite) || mode === Access.Atomic) {
        return c.errors.fail(Violation.BadMemoryBase, pc, `this program type may not ${writes ? 'write' : 'read'} the packet directly`);
      }
      const rel = base + off;
      const lo = lowOf(c.syms, sym, rel);
      const need = rel + size;
      const range = t[PKT_RANGE]!;
      // The range proven for fixed offsets covers a join symbol (a constant on each path), not a ranged number.
      const ok = sym === 0 ? need <= range : need <= factFor(t, sym) || (!isSlotNumber(c.syms, sym) && highOf(c.syms, sym, need) <= range);
      if (lo < 0 || !ok) return c.errors.fail(Violation.PacketBounds, pc, `packet access at offset ${rel} (${size} bytes) is not proven in bounds (checked range ${range})`);
      return Violation.None;
    }
    case Kind.MapValue: {
      const m = t[AUX + r]!;
      const lo = lowOf(c.syms, sym, base + off), hi = highOf(c.syms, sym, base + off + size);
      const vs = c.info.valueSize[m]!;
      if (lo < 0 || hi > vs) return c.errors.fail(Violation.MapValueBounds, pc, `map value access at ${lo}…${hi - 1} is outside the ${vs}-byte value`);
      if (mode === Access.Atomic && (sym !== 0 || (base + off) % size !== 0)) return c.errors.fail(Violation.MapValueBounds, pc, 'misaligned atomic on a map value');
      if (writes && c.info.valueWritable[m] === 0) return c.errors.fail(Violation.BadMemoryBase, pc, 'this map\'s values are read-only to programs');
      return Violation.None;
    }
    case Kind.MapValueOrNull:
      return c.errors.fail(Violation.BadMemoryBase, pc, `r${r} may be NULL (map lookup result without a null check)`);
    default:
      return c.errors.fail(Violation.BadMemoryBase, pc, `r${r} is not a pointer to memory`);
  }
}

/** LDX / LDXS: dst ← [src + off]. */
export function checkLoad(c: Core, ins: Insn, spec: OpSpec, pc: number): Violation {
  const v = access(c, ins.src, ins.off, spec.size, Access.Read, pc);
  if (v !== Violation.None) return v;
  if (loaded !== Kind.Scalar && spec.kind === 'ldxs') return c.errors.fail(Violation.ContextAccess, pc, 'sign-extending load of a pointer field');
  c.st.setRegReadable(ins.dst, true);
  if (loaded === Kind.Scalar && spec.kind === 'ldx' && spec.size < 8) {
    // A narrow load zero-extends: [0, 2^(8·size) − 1], a number of this slot (the kernel bounds it so too).
    const id = refineSymbol(c.syms, pc, ins.dst, true);
    c.syms.min[id] = 0;
    c.syms.max[id] = 2 ** (8 * spec.size) - 1;
    setReg(c.t, ins.dst, Kind.Const, id, 0, 0);
  } else setReg(c.t, ins.dst, loaded, 0, 0, 0);
  return Violation.None;
}

/** ST / STX: [dst + off] ← imm / src. */
export function checkStore(c: Core, ins: Insn, spec: OpSpec, pc: number): Violation {
  if (spec.kind === 'stx') {
    const v = scalarOperand(c, ins.src, pc, 'stored');
    if (v !== Violation.None) return v;
  }
  return access(c, ins.dst, ins.off, spec.size, spec.kind === 'stx' ? Access.Write : Access.WriteImm, pc);
}

/** Atomic read-modify-write on [dst + off]; the fetch forms write the old value to src (cmpxchg: r0). */
export function checkAtomic(c: Core, ins: Insn, spec: OpSpec, pc: number): Violation {
  let v = scalarOperand(c, ins.src, pc, 'an atomic operand');
  if (v === Violation.None && spec.atomic === 'cmpxchg') v = scalarOperand(c, 0, pc, 'the cmpxchg comparand');
  if (v === Violation.None) v = access(c, ins.dst, ins.off, spec.size, Access.Atomic, pc);
  if (v !== Violation.None) return v;
  if (spec.fetch) {
    const r = spec.atomic === 'cmpxchg' ? 0 : ins.src;
    setReg(c.t, r, Kind.Scalar, 0, 0, 0);
  }
  return Violation.None;
}

/** A register whose value ends up in memory or a helper's numeric argument: readable and a number. */
export function scalarOperand(c: Core, r: number, pc: number, what: string): Violation {
  if (!c.st.regReadable(r)) return c.errors.fail(Violation.UnreadableRegister, pc, `r${r} (${what}) is not initialised`);
  if (!isScalarKind(c.t[KIND + r]! as Kind)) return c.errors.fail(Violation.PointerLeak, pc, `r${r} (${what}) may hold a pointer`);
  return Violation.None;
}
