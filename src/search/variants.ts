/**
 * The hot-path variant axes the MCMC core calls (DESIGN.md §4). The core is generic: it receives
 * one VariantSet at start and never names an implementation; implementations live in variants/.
 */
import type { SafetyStateImpl } from '../safety/state.js';
import type { ErrorStrategy } from '../ebpf/violations.js';
import type { Insn } from '../ebpf/insn.js';
import type { PreparedCode } from '../interp/interpreter.js';

/**
 * How a candidate becomes executable (`switch`: typed arrays for the switch interpreter; `compiled`:
 * closures, with PreparedCode.run as their runner, which Session uses instead of the switch).
 */
export interface DispatchImpl {
  readonly name: string;
  /** Prepares `insns`; `reuse` (same length) may be overwritten in place instead of allocating. */
  prepare(insns: readonly Insn[], reuse?: PreparedCode): PreparedCode;
  /**
   * `code` (prepared from `insns` but for `slots`) updated at `slots` only, in place — window work
   * whatever the program's length; undefined when it cannot (then the caller prepares).
   */
  patch?(code: PreparedCode, insns: readonly Insn[], slots: readonly number[]): PreparedCode | undefined;
}

/**
 * Whether per-candidate and per-input state is allocated afresh (K2) or pooled and reset in place.
 * Unlike the other axes this one is a mode, not code: allocating is done by the code that owns the
 * state, so the two behaviours live where the state does — the Evaluator's Session and prepared
 * code (src/search/cost.ts, `pooledSession`/`pooledCode`) and the safety checker's states
 * (src/safety/checker.ts, its `allocation` option); variants/allocation/ only names the two modes.
 */
export interface AllocationImpl {
  readonly name: string;
  readonly pooled: boolean;
}

/**
 * How equivalence is checked with Z3 (the solvers themselves load asynchronously, so the set names
 * the implementation and the caller creates the checker: createChecker in variants/z3/index.ts).
 */
export interface Z3Choice {
  /** Axis value, e.g. `fresh-solver+cache`. */
  readonly name: string;
  readonly impl: 'fresh-solver' | 'reused-solver' | 'native-process';
  readonly cache: boolean;
}

export interface VariantSet {
  /** Name of the set (`k2-baseline`, …) or `custom`. */
  name: string;
  safetyState: SafetyStateImpl;
  allocation: AllocationImpl;
  errors: ErrorStrategy;
  dispatch: DispatchImpl;
  z3: Z3Choice;
}

export const AXES = ['safety-state', 'allocation', 'errors', 'dispatch', 'z3'] as const;
export type Axis = (typeof AXES)[number];

export function describeVariants(v: VariantSet): Record<Axis, string> {
  return { 'safety-state': v.safetyState.name, allocation: v.allocation.name, errors: v.errors.name, dispatch: v.dispatch.name, z3: v.z3.name };
}
