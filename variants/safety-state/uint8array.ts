/**
 * `uint8array`: the readable flags as one Uint8Array (11 registers, then 512 stack bytes), 1 byte per
 * flag — K2's fix of replacing `vector<bool>` with a byte array. copyFrom is a typed-array `set`
 * (a memcpy); meet is a byte-wise AND loop.
 */
import { STACK_FRAME_BYTES } from '../../src/ebpf/abi.js';
import { NUM_REGS, type SafetyState, type SafetyStateImpl } from '../../src/safety/state.js';

const WORDS = NUM_REGS + STACK_FRAME_BYTES;

class Uint8ArrayState implements SafetyState {
  readonly flags = new Uint8Array(WORDS);

  regReadable(r: number): boolean {
    return this.flags[r] === 1;
  }

  setRegReadable(r: number, readable: boolean): void {
    this.flags[r] = readable ? 1 : 0;
  }

  stackReadable(off: number, size: number): boolean {
    const f = this.flags;
    for (let i = NUM_REGS + off, end = i + size; i < end; i++) if (f[i] === 0) return false;
    return true;
  }

  setStackReadable(off: number, size: number, readable: boolean): void {
    const start = NUM_REGS + off;
    this.flags.fill(readable ? 1 : 0, start, start + size);
  }

  clear(): void {
    this.flags.fill(0);
  }

  copyFrom(other: SafetyState): void {
    this.flags.set((other as Uint8ArrayState).flags);
  }

  meet(other: SafetyState): void {
    const src = (other as Uint8ArrayState).flags;
    const f = this.flags;
    for (let i = 0; i < WORDS; i++) f[i] = f[i]! & src[i]!;
  }

  sameAs(other: SafetyState, regs: number): boolean {
    const src = (other as Uint8ArrayState).flags;
    const f = this.flags;
    for (let r = 0; r < NUM_REGS; r++) if ((regs & (1 << r)) !== 0 && f[r] !== src[r]) return false;
    for (let i = NUM_REGS; i < WORDS; i++) if (f[i] !== src[i]) return false;
    return true;
  }
}

export const uint8Array: SafetyStateImpl = {
  name: 'uint8array',
  create: (): SafetyState => new Uint8ArrayState(),
};

export default uint8Array;
