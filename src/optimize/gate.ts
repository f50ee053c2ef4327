/**
 * The output gate (issue #15 item 5): what the search found is written only when the program that
 * would be written — the compacted one, NOPs left out — is proved equal to the input (as a whole,
 * or by the search's chain of window proofs where the whole-program query is unknown: `verified`
 * says which), passes our safety check, is accepted by the Linux verifier when the kernel oracle is
 * available, and, for types the kernel can test-run, agrees with the input there on 1,000 inputs.
 * Anything else writes the input's program and says why.
 */
import type { Insn } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import { close as kernelClose, kernelUnavailableReason, loadProgram as kernelLoad } from '../kernel/index.js';
import { createSafetyChecker } from '../safety/checker.js';
import type { VariantSet } from '../search/variants.js';
import type { Z3Checker } from '../verify/checker.js';
import { compact, compactedProgram } from './compact.js';
import { kernelAgreement, type Agreement } from './kernel-agree.js';

export const GATE_INPUTS = 1000;

/** How the written program was proved: whole program, chain of window proofs, tests only, or the input itself. */
export type Verified = 'whole-program' | 'window-chain' | 'none' | 'original';

export interface GateVerdict {
  /** The instructions to write: the compacted optimized program, or the input's. */
  insns: Insn[];
  optimized: boolean;
  verified: Verified;
  /** Why the optimized program was not written (undefined when it was, or nothing smaller was found). */
  rejected?: string;
  /** Detail of the proof (e.g. why the whole-program query was unknown). */
  proofNote?: string;
  kernel: 'accepted' | 'rejected' | 'not kernel-checked';
  kernelReason?: string;
  agreement?: Agreement;
  /** Old slot → written slot for the optimized program (compact.ts). */
  newSlot?: Int32Array;
}

export interface GateInput {
  program: Program;
  /** The search's best (NOPs still in place), or undefined when nothing smaller was found. */
  best: { insns: Insn[]; verified: boolean } | undefined;
  variants: VariantSet;
  /** The final prover; undefined with the tests-only stand-in (then nothing optimized is written). */
  prover: Z3Checker | undefined;
  /** Extra conditions of the caller (e.g. relocated slots unchanged), as a reason when violated. */
  objection?: (insns: readonly Insn[]) => string | undefined;
}

export function outputGate(g: GateInput): GateVerdict {
  const original = (why: string | undefined, extra: Partial<GateVerdict> = {}): GateVerdict => ({
    insns: g.program.insns, optimized: false, verified: 'original', ...(why ? { rejected: why } : {}), kernel: kernelOf(g.program).kernel, ...extra,
  });
  if (!g.best) return original(undefined);
  if (!g.prover) return original('not proved: the tests-only checker proves nothing (use --checker z3)');
  if (!g.best.verified) return original('not proved: the search\'s best program is only test-equivalent');
  const objection = g.objection?.(g.best.insns);
  if (objection) return original(objection);
  let c;
  try {
    c = compact(g.best.insns);
  } catch (e) {
    return original(`compaction failed: ${(e as Error).message}`);
  }
  const candidate: Program = compactedProgram(g.program, c);
  // The proof is of the program as written (compacted) against the input as a whole.
  let verified: Verified, proofNote: string | undefined;
  if (g.prover.provedEqual(c.insns, g.program.insns)) verified = 'whole-program';
  else {
    const r = g.prover.check(c.insns, g.program.insns);
    if (r.verdict === 'equal') verified = 'whole-program';
    else if (r.verdict === 'unknown') { verified = 'window-chain'; proofNote = `whole-program query unknown: ${g.prover.last?.reason ?? 'resource or time limit'}`; }
    else return original(`the whole-program proof of the compacted program says ${r.verdict}`);
  }
  const safety = createSafetyChecker(candidate, { state: g.variants.safetyState, errors: g.variants.errors, allocation: 'fresh' });
  const violation = safety.check(c.insns);
  if (violation !== 0) return original(`the compacted program fails the safety check (violation ${violation})`);
  const k = kernelOf(candidate);
  if (k.kernel === 'rejected') return original(`the Linux verifier rejects it: ${k.reason}`, { proofNote: proofNote ?? '' });
  let agreement: Agreement | undefined;
  if (k.kernel === 'accepted') {
    agreement = kernelAgreement(g.program, candidate, GATE_INPUTS);
    if (agreement.rejected) return original(`kernel comparison: ${agreement.rejected}`);
    if (agreement.mismatches > 0) return original(`differs from the input in the kernel on ${agreement.mismatches} of ${agreement.inputs} inputs (first: ${agreement.first?.differs.join(', ')} on ${agreement.first?.packetHex})`, { agreement });
  }
  return { insns: c.insns, optimized: true, verified, ...(proofNote ? { proofNote } : {}), kernel: k.kernel, ...(k.reason ? { kernelReason: k.reason } : {}), ...(agreement ? { agreement } : {}), newSlot: c.newSlot };
}

/** The Linux verifier's verdict, or "not kernel-checked" without the oracle. */
export function kernelOf(p: Program): { kernel: GateVerdict['kernel']; reason?: string } {
  if (kernelUnavailableReason() !== undefined) return { kernel: 'not kernel-checked' };
  if (!p.progType) return { kernel: 'not kernel-checked', reason: 'no program type known' };
  const r = kernelLoad(p);
  if (r.accepted) { kernelClose(r); return { kernel: 'accepted' }; }
  return { kernel: 'rejected', reason: r.reason };
}
