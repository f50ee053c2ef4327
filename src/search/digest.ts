/**
 * The trajectory digest: a running 64-bit hash (two FNV-1a lanes) over every iteration's candidate
 * and decision, so that two runs can be shown to have done identical work (DESIGN.md §5).
 */
import type { Insn } from '../ebpf/insn.js';

export class TrajectoryDigest {
  private a = 0x811c9dc5;
  private b = 0x01000193 ^ 0x5bd1e995;

  private word(x: number): void {
    this.a = Math.imul(this.a ^ (x & 0xffff), 0x01000193);
    this.a = Math.imul(this.a ^ (x >>> 16), 0x01000193);
    this.b = Math.imul(this.b ^ x, 0x5bd1e995);
    this.b ^= this.b >>> 15;
  }

  /**
   * One iteration: the candidate's changes against the current program (slots whose instruction
   * object differs: proposals replace changed slots and share the rest), its cost parts and
   * whether it was accepted. The chain of changes determines every candidate, at a fraction of
   * the cost of hashing every slot.
   */
  iteration(cand: readonly Insn[], cur: readonly Insn[], error: number, perf: number, accepted: boolean, from = 0, to = cand.length - 1): void {
    for (let i = from; i <= to; i++) {
      const x = cand[i]!;
      if (x === cur[i]) continue;
      this.word(i);
      this.word(x.op | (x.dst << 8) | (x.src << 12) | ((x.off & 0xffff) << 16));
      this.word(x.imm);
    }
    // Costs are dyadic or integral except for st_avg divisions; fix them to 1e-6 for hashing.
    this.word(Math.round(error * 1e6) | 0);
    this.word(Math.floor(error * 1e6 / 0x1_0000_0000) | 0);
    this.word(perf | 0);
    this.word(accepted ? 1 : 0);
  }

  /** A whole program (at window switches and restarts, where the chain jumps). */
  program(insns: readonly Insn[]): void {
    for (let i = 0; i < insns.length; i++) {
      const x = insns[i]!;
      this.word(x.op | (x.dst << 8) | (x.src << 12) | ((x.off & 0xffff) << 16));
      this.word(x.imm);
    }
  }

  hex(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}
