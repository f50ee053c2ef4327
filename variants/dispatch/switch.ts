/**
 * `switch` dispatch (baseline): the candidate is copied into typed arrays and run by the switch
 * interpreter of src/interp, one opcode dispatch per executed instruction.
 */
import type { Insn } from '../../src/ebpf/insn.js';
import { prepare, type PreparedCode } from '../../src/interp/interpreter.js';
import type { DispatchImpl } from '../../src/search/variants.js';

export const switchDispatch: DispatchImpl = {
  name: 'switch',
  prepare(insns: readonly Insn[], reuse?: PreparedCode): PreparedCode {
    if (!reuse || reuse.n !== insns.length) return prepare(insns);
    for (let i = 0; i < insns.length; i++) {
      const x = insns[i]!;
      reuse.op[i] = x.op; reuse.dst[i] = x.dst; reuse.src[i] = x.src; reuse.off[i] = x.off; reuse.imm[i] = x.imm;
    }
    return reuse;
  },
  patch(code: PreparedCode, insns: readonly Insn[], slots: readonly number[]): PreparedCode {
    for (let k = 0; k < slots.length; k++) {
      const i = slots[k]!, x = insns[i]!;
      code.op[i] = x.op; code.dst[i] = x.dst; code.src[i] = x.src; code.off[i] = x.off; code.imm[i] = x.imm;
    }
    return code;
  },
};
