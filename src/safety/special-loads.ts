/**
 * The two loads that are not memory accesses through a register: LDDW (a 64-bit constant, a map
 * handle or a map value's address, by pseudo source) and the legacy packet loads LD_ABS/LD_IND.
 */
import type { Insn } from '../ebpf/insn.js';
import { PSEUDO, type OpSpec } from '../ebpf/opcodes.js';
import { Violation } from '../ebpf/violations.js';
import type { Core } from './core.js';
import { scalarOperand } from './memory.js';
import { KIND, Kind, OFF, SYM, setReg } from './types.js';

/** LDDW into `ins.dst` (its second slot is `second`): the register's type from the pseudo source. */
export function checkLddw(c: Core, ins: Insn, second: Insn): void {
  const t = c.t, d = ins.dst;
  c.st.setRegReadable(d, true);
  if (ins.src === PSEUDO.MAP_FD) {
    setReg(t, d, Kind.MapPtr, 0, 0, c.info.fdIndex.get(ins.imm)!);
  } else if (ins.src === PSEUDO.MAP_VALUE) {
    setReg(t, d, Kind.MapValue, 0, second.imm, c.info.fdIndex.get(ins.imm)!);
  } else {
    const value = second.imm * 2 ** 32 + (ins.imm >>> 0);
    if (Math.abs(value) <= 2 ** 52) setReg(t, d, Kind.Const, 0, value, 0);
    else setReg(t, d, Kind.Scalar, 0, 0, 0);
  }
}

/** LD_ABS / LD_IND: r6 must be the context; r0 ← packet bytes; r1–r5 clobbered. */
export function checkLdPacket(c: Core, ins: Insn, s: OpSpec, pc: number): Violation {
  const st = c.st, t = c.t;
  if (!st.regReadable(6)) return c.errors.fail(Violation.UnreadableRegister, pc, 'LD_ABS/LD_IND read r6, which is not initialised');
  if (t[KIND + 6] !== Kind.Ctx || t[SYM + 6] !== 0 || t[OFF + 6] !== 0) return c.errors.fail(Violation.ContextAccess, pc, 'LD_ABS/LD_IND need r6 = the context pointer');
  if (s.kind === 'ldind') {
    const v = scalarOperand(c, ins.src, pc, 'the LD_IND offset');
    if (v !== Violation.None) return v;
  }
  for (let r = 1; r <= 5; r++) {
    st.setRegReadable(r, false);
    setReg(t, r, Kind.Scalar, 0, 0, 0);
  }
  st.setRegReadable(0, true);
  setReg(t, 0, Kind.Scalar, 0, 0, 0);
  return Violation.None;
}
