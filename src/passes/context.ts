/**
 * What a pass sees: the program (maps, type), its current instructions, and analyses of them
 * computed on first use (static states for constants and pointer kinds, liveness, jump targets).
 */
import type { Insn } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import { analyzeStates, type StaticStates } from '../analysis/static-states.js';
import { liveness, type Liveness } from '../analysis/liveness.js';
import { jumpTargets, type Proposal } from './insns.js';

export class PassContext {
  private st: StaticStates | undefined;
  private lv: Liveness | undefined;
  private tg: Set<number> | undefined;
  constructor(readonly program: Program, readonly insns: readonly Insn[]) {}
  get states(): StaticStates { return (this.st ??= analyzeStates(this.insns, this.program)); }
  get live(): Liveness { return (this.lv ??= liveness(this.insns, this.program.maps)); }
  get targets(): Set<number> { return (this.tg ??= jumpTargets(this.insns)); }

  /** The known 64-bit value of register r before slot i, if the analysis has exactly one constant. */
  constAt(i: number, r: number): bigint | undefined {
    const s = this.states.before[i]?.[r];
    return s && s.length === 1 && s[0]!.kind === 'const' ? s[0]!.value : undefined;
  }

  /** Whether a store through register r before slot i may take an immediate (the kernel refuses BPF_ST to the context). */
  storeImmOk(i: number, r: number): boolean {
    if (r === 10) return true;
    const s = this.states.before[i]?.[r];
    return !!s && s.length > 0 && s.every((x) => x.kind === 'stack' || x.kind === 'map_value' || x.kind === 'pkt');
  }

  /** Whether register r holds a stack pointer (r10 + constant) before slot i. */
  stackPtrAt(i: number, r: number): boolean {
    if (r === 10) return true;
    const s = this.states.before[i]?.[r];
    return !!s && s.length > 0 && s.every((x) => x.kind === 'stack');
  }
}

export interface Pass {
  readonly name: string;
  /** What the pass does, for --help and the RunReport. */
  readonly describe: string;
  propose(ctx: PassContext): Proposal[];
}

/** A pass that looks at each reachable slot on its own: `at` proposes one rewrite starting there, or none. */
export function slotPass(name: string, describe: string, at: (ctx: PassContext, i: number) => Proposal | undefined): Pass {
  return {
    name, describe,
    propose(ctx) {
      const out: Proposal[] = [];
      for (let i = 0; i < ctx.insns.length; i++) {
        if (!ctx.states.reachable[i]) continue;
        const p = at(ctx, i);
        if (p) out.push(p);
      }
      return out;
    },
  };
}
