/**
 * K2's top-k list (k2-spec.md §1): zero-error programs only, no duplicates (same perf and the same
 * slots), and when full a newcomer must beat the current worst perf, which it replaces.
 */
import type { Insn } from '../ebpf/insn.js';

export interface Ranked {
  insns: Insn[];
  perf: number;
  /** Iteration at which it entered the list, and the elapsed ms then. */
  iteration: number;
  ms: number;
}

export class TopK {
  readonly items: Ranked[] = [];
  constructor(private readonly k: number) {}

  offer(insns: readonly Insn[], error: number, perf: number, iteration: number, ms: number): void {
    if (error !== 0) return;
    // A full list takes only a newcomer that beats its worst: decided before the duplicate scan
    // (n slots per item), which most offers then skip.
    const full = this.items.length >= this.k;
    let worst = 0;
    if (full) {
      for (let i = 1; i < this.items.length; i++) if (this.items[i]!.perf > this.items[worst]!.perf) worst = i;
      if (!(perf < this.items[worst]!.perf)) return;
    }
    if (this.items.some((r) => r.perf === perf && sameSlots(r.insns, insns))) return;
    // Copy only a program that gets in.
    const copy: Ranked = { insns: insns.map((x) => ({ ...x })), perf, iteration, ms };
    if (full) this.items[worst] = copy; else this.items.push(copy);
  }

  /** Sorted by perf ascending (K2's output order). */
  sorted(): Ranked[] {
    return [...this.items].sort((a, b) => a.perf - b.perf || a.iteration - b.iteration);
  }
}

export function sameSlots(a: readonly Insn[], b: readonly Insn[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (x.op !== y.op || x.dst !== y.dst || x.src !== y.src || x.off !== y.off || x.imm !== y.imm) return false;
  }
  return true;
}
