/**
 * `bitset`: the readable flags packed one bit each into a Uint32Array — bit r for register r, bit
 * 11 + i for stack byte i, 523 bits in 17 words. copyFrom is a 17-word `set`, meet a 17-word AND,
 * and a stack range is tested or written a word at a time with masks (at most two words for 8 bytes).
 */
import { STACK_FRAME_BYTES } from '../../src/ebpf/abi.js';
import { NUM_REGS, type SafetyState, type SafetyStateImpl } from '../../src/safety/state.js';

const BITS = NUM_REGS + STACK_FRAME_BYTES;
const WORDS = (BITS + 31) >>> 5;

/** Bits [from, to) of one word, 0 ≤ from < to ≤ 32, as an int32 mask. */
function mask(from: number, to: number): number {
  return (-1 >>> (32 - (to - from))) << from;
}

class BitsetState implements SafetyState {
  readonly words = new Uint32Array(WORDS);

  regReadable(r: number): boolean {
    return (this.words[0]! & (1 << r)) !== 0;
  }

  setRegReadable(r: number, readable: boolean): void {
    const w = this.words;
    w[0] = readable ? w[0]! | (1 << r) : w[0]! & ~(1 << r);
  }

  stackReadable(off: number, size: number): boolean {
    const w = this.words;
    let bit = NUM_REGS + off;
    const end = bit + size;
    while (bit < end) {
      const i = bit >>> 5, from = bit & 31;
      const to = Math.min(32, from + (end - bit));
      const m = mask(from, to);
      if ((w[i]! & m) !== m) return false;
      bit += to - from;
    }
    return true;
  }

  setStackReadable(off: number, size: number, readable: boolean): void {
    const w = this.words;
    let bit = NUM_REGS + off;
    const end = bit + size;
    while (bit < end) {
      const i = bit >>> 5, from = bit & 31;
      const to = Math.min(32, from + (end - bit));
      const m = mask(from, to);
      w[i] = readable ? w[i]! | m : w[i]! & ~m;
      bit += to - from;
    }
  }

  clear(): void {
    this.words.fill(0);
  }

  copyFrom(other: SafetyState): void {
    this.words.set((other as BitsetState).words);
  }

  meet(other: SafetyState): void {
    const src = (other as BitsetState).words;
    const w = this.words;
    for (let i = 0; i < WORDS; i++) w[i] = w[i]! & src[i]!;
  }

  sameAs(other: SafetyState, regs: number): boolean {
    const src = (other as BitsetState).words;
    const w = this.words;
    const m = regs | ~0x7ff; // word 0: registers in bits 0–10, then stack bytes
    if (((w[0]! ^ src[0]!) & m) !== 0) return false;
    for (let i = 1; i < WORDS; i++) if (w[i] !== src[i]) return false;
    return true;
  }
}

export const bitset: SafetyStateImpl = {
  name: 'bitset',
  create: (): SafetyState => new BitsetState(),
};

export default bitset;
