/**
 * The `errors` variant axis: how an unsafe candidate or a failed execution reaches the cost
 * function. K2 throws and catches (`exceptions`); the alternative returns status codes. Checkers
 * call `fail(...)` and return its result, so the same checker code serves both styles.
 */
export const enum Violation {
  None = 0,
  UnreadableRegister = 1,
  UnreadableStack = 2,
  StackBounds = 3,
  StackAlignment = 4,
  PointerArithmetic = 5,
  PacketBounds = 6,
  ContextAccess = 7,
  MapValueBounds = 8,
  BadMemoryBase = 9,
  ReadOnlyR10 = 10,
  JumpTarget = 11,
  BackEdge = 12,
  NoExit = 13,
  HelperArgument = 14,
  UnknownHelper = 15,
  DivisionByZero = 16,
  InvalidInstruction = 17,
  ExecutionError = 18,
  /** A pointer stored to memory, passed as a number or returned: its value would leak into the output. */
  PointerLeak = 19,
  /** An instruction no path reaches (the kernel: "unreachable insn"). */
  Unreachable = 20,
}

export class SafetyViolation extends Error {
  constructor(readonly violation: Violation, readonly pc: number, detail: string) {
    super(`instruction ${pc}: ${detail}`);
    this.name = 'SafetyViolation';
  }
}

export interface ErrorStrategy {
  readonly name: string;
  /**
   * Reports a violation. `exceptions` throws a SafetyViolation; `result-codes` records it and
   * returns the code, which the caller returns in turn (so `return fail(...)` works for both).
   */
  fail(violation: Violation, pc: number, detail: string): Violation;
  /** The last recorded violation's text (result-codes), for reports. */
  lastDetail(): string;
}
