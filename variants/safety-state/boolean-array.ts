/**
 * `boolean-array`: the readable flags as one JS `boolean[]` (11 registers, then 512 stack bytes), the
 * analogue of K2's `std::vector<bool>`. copyFrom copies element by element, as the vector's copy
 * assignment does; meet is an element-wise AND.
 */
import { STACK_FRAME_BYTES } from '../../src/ebpf/abi.js';
import { NUM_REGS, type SafetyState, type SafetyStateImpl } from '../../src/safety/state.js';

const WORDS = NUM_REGS + STACK_FRAME_BYTES;

class BooleanArrayState implements SafetyState {
  readonly flags: boolean[];

  constructor() {
    // Pushed one by one so V8 keeps a packed (not holey) array, as a plain `boolean[]` literal would be.
    const f: boolean[] = [];
    for (let i = 0; i < WORDS; i++) f.push(false);
    this.flags = f;
  }

  regReadable(r: number): boolean {
    return this.flags[r]!;
  }

  setRegReadable(r: number, readable: boolean): void {
    this.flags[r] = readable;
  }

  stackReadable(off: number, size: number): boolean {
    const f = this.flags;
    for (let i = NUM_REGS + off, end = i + size; i < end; i++) if (!f[i]) return false;
    return true;
  }

  setStackReadable(off: number, size: number, readable: boolean): void {
    const f = this.flags;
    for (let i = NUM_REGS + off, end = i + size; i < end; i++) f[i] = readable;
  }

  clear(): void {
    const f = this.flags;
    for (let i = 0; i < WORDS; i++) f[i] = false;
  }

  copyFrom(other: SafetyState): void {
    const src = (other as BooleanArrayState).flags;
    const f = this.flags;
    for (let i = 0; i < WORDS; i++) f[i] = src[i]!;
  }

  meet(other: SafetyState): void {
    const src = (other as BooleanArrayState).flags;
    const f = this.flags;
    for (let i = 0; i < WORDS; i++) f[i] = f[i]! && src[i]!;
  }

  sameAs(other: SafetyState, regs: number): boolean {
    const src = (other as BooleanArrayState).flags;
    const f = this.flags;
    for (let r = 0; r < NUM_REGS; r++) if ((regs & (1 << r)) !== 0 && f[r] !== src[r]) return false;
    for (let i = NUM_REGS; i < WORDS; i++) if (f[i] !== src[i]) return false;
    return true;
  }
}

export const booleanArray: SafetyStateImpl = {
  name: 'boolean-array',
  create: (): SafetyState => new BooleanArrayState(),
};

export default booleanArray;
