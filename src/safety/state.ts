/**
 * The `safety-state` variant axis: the per-register and per-stack-byte "readable" flags that the
 * safety checker tracks (K2's `reg_readable` / `stack_readable`, a `std::vector<bool>` copied per
 * candidate). Implementations live in variants/safety-state/; the checker only sees this interface.
 */
export const NUM_REGS = 11;

export interface SafetyState {
  regReadable(r: number): boolean;
  setRegReadable(r: number, readable: boolean): void;
  /** Whether every byte of stack[off, off+size) is readable (off counted from the stack bottom, 0…511). */
  stackReadable(off: number, size: number): boolean;
  setStackReadable(off: number, size: number, readable: boolean): void;
  /** Everything unreadable. */
  clear(): void;
  /** Becomes a copy of `other` (same implementation). */
  copyFrom(other: SafetyState): void;
  /** Keeps only what is readable in both (the state at a join of two paths). */
  meet(other: SafetyState): void;
  /** The same flags as `other` (same implementation) for the registers in `regs` (bit r) and every stack byte. */
  sameAs(other: SafetyState, regs: number): boolean;
}

export interface SafetyStateImpl {
  /** Implementation name as used on the command line (`boolean-array`, `uint8array`, …). */
  readonly name: string;
  create(): SafetyState;
}
