/**
 * `compiled` dispatch: a candidate is compiled once into one specialised closure per slot
 * (compiled-steps.ts) and run on every test input by a loop that only calls `steps[pc]` — no
 * opcode decoding per executed instruction. With a reused code object (pooled allocation) only the
 * slots that changed since the previous candidate are recompiled. Results are identical to the
 * switch interpreter's; a candidate with an encoding the closures do not cover runs on the switch.
 */
import type { Insn } from '../../src/ebpf/insn.js';
import { ExecFault } from '../../src/interp/fault.js';
import type { HelperTable } from '../../src/interp/helpers.js';
import { FaultAt, isWindowExit, prepare, type PreparedCode } from '../../src/interp/interpreter.js';
import type { Machine } from '../../src/interp/machine.js';
import type { DispatchImpl } from '../../src/search/variants.js';
import { STOP, compileStep, runState, type Step } from './compiled-steps.js';

class CompiledCode implements PreparedCode {
  // The fields each step was compiled from (as the switch would see them): what reuse compares.
  readonly op: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int16Array;
  readonly imm: Int32Array;
  readonly steps: Step[] = [];

  constructor(readonly n: number) {
    this.op = new Uint8Array(n); this.dst = new Uint8Array(n); this.src = new Uint8Array(n); this.off = new Int16Array(n); this.imm = new Int32Array(n);
  }

  /** Same contract as the switch's `execute`: r0 in the machine, insnCount set, faults as FaultAt. */
  run(m: Machine, helpers: HelperTable, maxInsns: number, startPc = 0): void {
    const steps = this.steps, n = this.n, lo = m.lo, hi = m.hi;
    runState.helpers = helpers;
    if (runState.frames.length !== 0) runState.frames.length = 0; // the length setter is a slow runtime call
    let pc = startPc;
    let budget = maxInsns;
    try {
      for (;;) {
        if (pc >>> 0 >= n) { // also negative slots; STOP lies beyond every program
          if (pc === STOP) return;
          throw new ExecFault('invalid-instruction', `execution left the program at slot ${pc}`);
        }
        if (--budget < 0) throw new ExecFault('budget', `instruction budget of ${maxInsns} exhausted`);
        pc = steps[pc]!(lo, hi, m);
      }
    } catch (e) {
      throw e instanceof FaultAt ? e : new FaultAt(e, pc);
    } finally {
      m.insnCount = maxInsns - budget;
    }
  }
}

/** Compiles slot i into `c` unless it holds the same instruction already; false when it cannot be compiled. */
function compileSlot(c: CompiledCode, insns: readonly Insn[], i: number, fresh: boolean): boolean {
  const x = insns[i]!;
  // LDDW's step also captures the next slot's imm: always recompiled (rare).
  if (!fresh && c.op[i] === (x.op & 0xff) && c.op[i] !== 0x18 && c.dst[i] === (x.dst & 0xff) && c.src[i] === (x.src & 0xff)
    && c.off[i] === ((x.off << 16) >> 16) && c.imm[i] === (x.imm | 0)) return true;
  const step = isWindowExit(x) ? windowExitStep(i) : compileStep(insns, i);
  if (step === undefined) return false;
  c.op[i] = x.op; c.dst[i] = x.dst; c.src[i] = x.src; c.off[i] = x.off; c.imm[i] = x.imm;
  if (fresh) c.steps.push(step); else c.steps[i] = step;
  return true;
}

/** WINDOW_EXIT's step per slot, made once (same effect as the switch's sentinel). */
const windowExitSteps: Step[] = [];
function windowExitStep(i: number): Step {
  for (let j = windowExitSteps.length; j <= i; j++) windowExitSteps.push((_lo, _hi, m) => { m.windowExit = j; return STOP; });
  return windowExitSteps[i]!;
}

export const compiledDispatch: DispatchImpl = {
  name: 'compiled',
  prepare(insns: readonly Insn[], reuse?: PreparedCode): PreparedCode {
    const n = insns.length;
    const reused = reuse instanceof CompiledCode && reuse.n === n;
    const c = reused ? reuse : new CompiledCode(n);
    for (let i = 0; i < n; i++) {
      if (!compileSlot(c, insns, i, !reused)) return prepare(insns); // the switch interpreter runs it
    }
    return c;
  },
  patch(code: PreparedCode, insns: readonly Insn[], slots: readonly number[]): PreparedCode | undefined {
    if (!(code instanceof CompiledCode)) return undefined;
    for (let k = 0; k < slots.length; k++) if (!compileSlot(code, insns, slots[k]!, false)) return undefined;
    return code;
  },
};

export default compiledDispatch;
