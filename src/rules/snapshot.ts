/**
 * The rules a run uses, taken once from the database: every rule whose pattern shape occurs in a
 * window of the program (or of the start program the rules made of it). The snapshot is plain data
 * (chain workers get it structured-cloned), so a run — in-process or in N chain workers — sees the
 * same rules however the database changes meanwhile: deterministic for the database's content, and
 * named in the report by a digest of its rule ids. `windowRewriter` is the search's window-switch
 * hook over a snapshot: rules matching inside the window, each application proved.
 */
import { encodeProgram, type Insn } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import type { EquivalenceChecker } from '../search/equivalence.js';
import { applyRules, type ApplyOutcome, type RuleSource } from './apply.js';
import { rulesDigest, shapeOf, type Rule } from './rule.js';

export interface RuleSnapshot extends RuleSource {
  readonly rules: readonly Rule[];
  readonly digest: string;
}

/** A snapshot over rules already taken (e.g. the ones a chain worker was sent). */
export function snapshotOf(rules: readonly Rule[]): RuleSnapshot {
  const sorted = [...rules].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const byShape = new Map<string, Rule[]>();
  for (const r of sorted) byShape.set(r.shape, [...(byShape.get(r.shape) ?? []), r]);
  const lengths = [...new Set(sorted.map((r) => r.pattern.length))].sort((a, b) => a - b);
  return {
    rules: sorted, digest: rulesDigest(sorted.map((r) => r.id)),
    lengths: () => lengths,
    byShapes: (shapes) => [...new Set(shapes)].flatMap((s) => byShape.get(s) ?? []).sort((a, b) => (a.id < b.id ? -1 : 1)),
  };
}

/** The rules of `source` whose shape matches some window of any of `programs` (one indexed lookup). */
export function takeSnapshot(source: RuleSource, programs: readonly (readonly Insn[])[]): RuleSnapshot {
  const lengths = source.lengths();
  const shapes = new Set<string>();
  for (const insns of programs) for (const l of lengths) for (let p = 0; p + l <= insns.length; p++) shapes.add(shapeOf(insns.slice(p, p + l)));
  return snapshotOf(source.byShapes([...shapes]));
}

export interface WindowRewriter {
  /** The search's window-switch hook: the program with matching rules applied inside s…e, or undefined. */
  readonly rewriteWindow: (cur: readonly Insn[], s: number, e: number) => Insn[] | undefined;
  /** What each switch that consulted a rule applied (in the order of the switches). */
  readonly during: ApplyOutcome[];
}

/**
 * The window-switch hook over `rules`. `skip` is a program every window of which was already tried
 * (the start program, rules applied before the search); a window of the same program tried at an
 * earlier switch is not tried again.
 */
export function windowRewriter(program: Program, rules: RuleSource, opts: { safe: (insns: readonly Insn[]) => boolean; checker: EquivalenceChecker; skip?: readonly Insn[] }): WindowRewriter {
  const during: ApplyOutcome[] = [];
  const tried = new Set<string>();
  const hex = (insns: readonly Insn[]): string => Buffer.from(encodeProgram(insns)).toString('hex');
  const skip = opts.skip ? hex(opts.skip) : undefined;
  return {
    during,
    rewriteWindow: (cur, s, e) => {
      const code = hex(cur), key = `${s}:${e}:${code}`;
      if (code === skip || tried.has(key)) return undefined;
      tried.add(key);
      const o = applyRules(program, cur, rules, { safe: opts.safe, checker: opts.checker, range: [s, e] });
      if (o.consulted.length > 0) during.push(o);
      return o.applied.length > 0 ? o.insns : undefined;
    },
  };
}
