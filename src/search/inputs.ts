/**
 * Test inputs as K2 generates them for a whole-program search (k2-spec.md §4): 30 inputs, each a
 * full-size packet (or context) of uniform random bytes — all zero when the program has an LD_IND,
 * a K2 quirk kept for comparable workloads — one random u32 per get_prandom_u32 call, for skb
 * programs the caller-set __sk_buff fields, and for input type 0 a small distinct r1. Seeded: the same seed gives the same tests.
 */
import { prandomCallSites } from '../ebpf/helper-calls.js';
import type { Insn } from '../ebpf/insn.js';
import { contextModelOf, defaultInputSize, type Program } from '../ebpf/program.js';
import type { RunInput } from '../interp/machine.js';
import type { Rng } from '../common/rng.js';
import { Cls, Mode, Size } from '../ebpf/opcodes.js';

export const K2_TEST_COUNT = 30;

const isLdInd = (i: Insn): boolean => i.op === (Cls.LD | Mode.IND | Size.W) || i.op === (Cls.LD | Mode.IND | Size.H) || i.op === (Cls.LD | Mode.IND | Size.B);

export function generateInputs(p: Program, rng: Rng, count = K2_TEST_COUNT): RunInput[] {
  const size = defaultInputSize(p);
  const zeroPackets = p.insns.some(isLdInd);
  const randomsPerInput = Math.max(1, prandomCallSites(p.insns));
  const model = contextModelOf(p.progType, p.k2InputType);
  const out: RunInput[] = [];
  const usedR1 = new Set<bigint>();
  for (let t = 0; t < count; t++) {
    const packet = zeroPackets ? new Uint8Array(size) : rng.bytes(size);
    const randoms = Array.from({ length: randomsPerInput }, () => rng.u32());
    const input: RunInput = { packet, randoms };
    if (model === 'skb') {
      // Caller-set __sk_buff fields (K2's type-1 input is random bytes throughout): each cb word
      // is 0, a small offset into the packet, or any u32, so programs that index by cb[] get coverage.
      const cb = new Uint8Array(20);
      const v = new DataView(cb.buffer);
      for (let w = 0; w < 5; w++) {
        const kind = rng.int(3);
        v.setUint32(4 * w, kind === 0 ? 0 : kind === 1 ? rng.int(Math.max(1, size)) : rng.u32(), true);
      }
      input.skbCb = cb;
      input.skbMark = rng.int(2) ? rng.u32() : 0;
      input.skbPriority = rng.int(2) ? rng.u32() : 0;
    }
    if (model === 'none') {
      // K2: r1 = -50 + 100u truncated toward zero, kept distinct.
      let r1: bigint;
      let guard = 0;
      do { r1 = BigInt(Math.trunc(-50 + 100 * rng.float())); } while (usedR1.has(r1) && ++guard < 1000);
      usedR1.add(r1);
      input.r1 = r1;
    }
    out.push(input);
  }
  return out;
}

/**
 * A variant of `seed` with each packet byte replaced by a random one with probability 1/4: inputs
 * near one that reaches a window mostly still reach it, with varied data (window tests topped up
 * around a solver-found input).
 */
export function mutateInput(seed: RunInput, rng: Rng): RunInput {
  const packet = seed.packet.slice();
  for (let i = 0; i < packet.length; i++) if (rng.int(4) === 0) packet[i] = rng.int(256);
  return { ...seed, packet };
}
