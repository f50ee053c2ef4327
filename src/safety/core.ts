/**
 * The mutable analysis state that the per-instruction checks share: the current program point's
 * readability (the safety-state axis) and abstract register values, the symbol ranges, what we know
 * about the program, and how violations are reported.
 */
import type { ErrorStrategy } from '../ebpf/violations.js';
import type { ProgInfo } from './context.js';
import type { SafetyState } from './state.js';
import type { Symbols, TypeState } from './types.js';

export interface Core {
  readonly info: ProgInfo;
  readonly errors: ErrorStrategy;
  /** Readability at the current program point. */
  st: SafetyState;
  /** Register kinds and packet ranges at the current program point. */
  t: TypeState;
  syms: Symbols;
}
