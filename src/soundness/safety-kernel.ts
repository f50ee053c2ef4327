/**
 * Our safety checker's verdicts against the Linux verifier's (issue #15, item 3): seeded mutants of
 * real programs (the harness's mutations plus a removed check and another return value), each judged
 * by both. "We accept, the kernel rejects" is a soundness hole (the search could write a program the
 * kernel refuses, and on a machine without the oracle nothing would catch it); "we reject, the
 * kernel accepts" errs on the safe side. Only programs the kernel and our checker both accept
 * unmutated take part. The kernel's reason is the verifier log's last line.
 */
import type { Program } from '../ebpf/program.js';
import { createSafetyChecker } from '../safety/checker.js';
import { Violation } from '../ebpf/violations.js';
import { Rng } from '../common/rng.js';
import { bitset } from '../../variants/safety-state/bitset.js';
import { resultCodes } from '../../variants/errors/result-codes.js';
import { kernelRefusesOriginal, kernelVerdict } from './agree.js';
import { mutate, UNSAFE_KINDS, type Mutant } from './mutate.js';

export type Outcome = 'bothAccept' | 'bothReject' | 'weRejectKernelAccepts' | 'weAcceptKernelRejects';
export const OUTCOMES: readonly Outcome[] = ['bothAccept', 'bothReject', 'weRejectKernelAccepts', 'weAcceptKernelRejects'];
export type Counts = Record<Outcome, number>;

export interface Hole { program: string; mutation: string; kernel: string; bytecode: string }

export interface SafetyComparison {
  programs: number;
  skipped: { name: string; reason: string }[];
  mutants: number;
  duplicates: number;
  total: Counts;
  /** Per program, then per mutation kind. */
  byProgram: Record<string, Counts>;
  byKind: Record<string, Counts>;
  /** Every mutant we accept and the kernel rejects. */
  holes: Hole[];
  /** Our reasons for the mutants the kernel accepts (reason pattern → count). */
  erringSafe: Record<string, number>;
  /** Mutants the kernel could not judge (e.g. its log overflowed): reason → count. */
  kernelErrors: Record<string, number>;
  ms: number;
}

export interface SafetyOptions { mutants: number; seed: number; timeLimitMs?: number; progress?(line: string): void }

const zero = (): Counts => ({ bothAccept: 0, bothReject: 0, weRejectKernelAccepts: 0, weAcceptKernelRejects: 0 });
const bump = (r: Record<string, number>, k: string): void => { r[k] = (r[k] ?? 0) + 1; };
/** A reason without its instruction numbers, offsets and sizes, so alike reasons group. */
export const pattern = (s: string): string => s.replace(/-?\b(0x[0-9a-f]+|\d+)\b/gi, 'N').slice(0, 160);
const bytecode = (p: Program): string => p.insns.map((x) => `${x.op.toString(16)}:${x.dst}:${x.src}:${x.off}:${x.imm}`).join(' ');

function ours(p: Program): string | undefined {
  const errors = resultCodes();
  const ok = createSafetyChecker(p, { state: bitset, errors, allocation: 'pooled' }).check(p.insns) === Violation.None;
  return ok ? undefined : errors.lastDetail() || 'rejected';
}

/** The mutant as a program the kernel can load: BTF line/func records follow a dropped slot. */
export function mutantProgram(p: Program, m: Mutant): Program {
  const q: Program = { ...p, insns: m.insns };
  if (m.kind !== 'drop' || !p.btf) return q;
  const i = m.slot;
  const starts = new Set(p.btf.funcInfo.map((f) => f.insn));
  const at = (n: number): number => (n > i ? n - 1 : n);
  q.btf = {
    ...p.btf,
    funcInfo: p.btf.funcInfo.map((f) => ({ ...f, insn: at(f.insn) })),
    // A function's first slot keeps a line; when that slot itself was dropped, its line and the next
    // slot's now share an offset, which the kernel refuses (line_info offsets strictly increase): keep the later.
    lineInfo: p.btf.lineInfo.filter((l) => l.insn !== i || starts.has(i)).map((l) => ({ ...l, insn: at(l.insn) }))
      .filter((l, k, all) => all[k + 1]?.insn !== l.insn),
  };
  return q;
}

export function compareSafety(programs: readonly Program[], skipped: { name: string; reason: string }[], opts: SafetyOptions): SafetyComparison {
  const t0 = performance.now();
  const rep: SafetyComparison = { programs: 0, skipped: [...skipped], mutants: 0, duplicates: 0, total: zero(), byProgram: {}, byKind: {}, holes: [], erringSafe: {}, kernelErrors: {}, ms: 0 };
  const usable: Program[] = [];
  for (const p of programs) {
    const refused = kernelRefusesOriginal(p);
    if (refused) { rep.skipped.push({ name: p.name, reason: refused }); continue; }
    const why = ours(p);
    if (why) { rep.skipped.push({ name: p.name, reason: `our safety checker rejects the original (errs safe on the whole program): ${why}` }); continue; }
    usable.push(p);
  }
  rep.programs = usable.length;
  const rng = new Rng(opts.seed);
  const seen = new Set<string>();
  for (let k = 0; k < opts.mutants && usable.length > 0; k++) {
    if (opts.timeLimitMs !== undefined && performance.now() - t0 > opts.timeLimitMs) { opts.progress?.(`time limit reached after ${k} mutants`); break; }
    if (k > 0 && k % 500 === 0) opts.progress?.(`${k} mutants: ${JSON.stringify(rep.total)}`);
    const p = usable[k % usable.length]!;
    rep.mutants++;
    const m = mutate(rng, p.insns, UNSAFE_KINDS);
    const mp = m && mutantProgram(p, m);
    const key = mp ? `${p.name}|${bytecode(mp)}` : '';
    if (!m || !mp || seen.has(key)) { rep.duplicates++; continue; }
    seen.add(key);
    const kv = kernelVerdict(mp);
    if ('error' in kv) { bump(rep.kernelErrors, pattern(kv.error)); continue; }
    const why = ours(mp);
    const o: Outcome = why === undefined ? (kv.accepted ? 'bothAccept' : 'weAcceptKernelRejects') : (kv.accepted ? 'weRejectKernelAccepts' : 'bothReject');
    rep.total[o]++;
    (rep.byProgram[p.name] ??= zero())[o]++;
    (rep.byKind[m.kind] ??= zero())[o]++;
    if (o === 'weRejectKernelAccepts') bump(rep.erringSafe, pattern(why!.replace(/^instruction \d+: /, '')));
    if (o === 'weAcceptKernelRejects' && !kv.accepted) {
      rep.holes.push({ program: p.name, mutation: m.what, kernel: kv.reason, bytecode: bytecode(mp) });
      opts.progress?.(`HOLE ${p.name} (${m.what}): kernel: ${kv.reason}`);
    }
  }
  rep.ms = performance.now() - t0;
  return rep;
}
