/**
 * Objects in, objects out: every program section of a clang object (or the `--section`s asked
 * for) is optimized in turn, each in its share of the time left, and the object is written again
 * with the sections the gate let through rewritten (src/ebpf/elf-write.ts); every other section,
 * and every section whose result failed the gate, keeps its original bytes. A section is searched
 * only when it can be written back slot for slot: one function filling the section, its
 * instructions all in it (no calls into other sections).
 */
import { InputError } from '../ebpf/errors.js';
import { LDDW_OPCODE, type Insn } from '../ebpf/insn.js';
import { inspectObject, rewriteObject, type CodeSection, type SectionRewrite } from '../ebpf/elf-write.js';
import { loadProgram } from '../ebpf/load.js';
import type { Program } from '../ebpf/program.js';
import { compact } from './compact.js';
import type { Plan } from './plan.js';
import { optimizeProgram, type ProgramOutcome } from './program-run.js';

export interface SectionResult {
  section: string;
  /** Slots before and written. */
  before: number;
  after: number;
  outcome?: ProgramOutcome;
  /** Why the section was not searched (it is written unchanged). */
  skipped?: string;
}

/** The program sections to work on: the ones asked for, else every code section but `.text`. */
export function programSections(bytes: Uint8Array, asked: readonly string[]): CodeSection[] {
  const code = inspectObject(bytes);
  const named = code.filter((c) => c.name !== '.text');
  const all = named.length > 0 ? named : code;
  if (all.length === 0) throw new InputError('no program section (the object has no executable code)');
  for (const a of asked) if (!all.some((c) => c.name === a)) throw new InputError(`no program section '${a}' (available: ${all.map((c) => c.name).join(', ')})`);
  return asked.length > 0 ? all.filter((c) => asked.includes(c.name)) : all;
}

const same = (a: Insn | undefined, b: Insn | undefined): boolean => !!a && !!b && a.op === b.op && a.dst === b.dst && a.src === b.src && a.off === b.off && a.imm === b.imm;

/** Slots the search must leave as they are: relocated ones (both halves of a 64-bit load) and CO-RE ones. */
function pinned(cs: CodeSection): Set<number> {
  const out = new Set<number>();
  for (const s of [...cs.relocated, ...cs.coreRelocated]) {
    out.add(s);
    if (cs.raw[s]?.op === LDDW_OPCODE) out.add(s + 1);
  }
  return out;
}

/** Why a section cannot be written back slot for slot, if it cannot. */
function notRewritable(cs: CodeSection, prog: Program): string | undefined {
  if (prog.insns.length !== cs.slots) return `calls subprograms outside the section (${prog.insns.length} slots linked, ${cs.slots} in the section)`;
  if (cs.functions.length > 1) return `holds ${cs.functions.length} functions`;
  return undefined;
}

/** The gate's extra condition: pinned slots unchanged, no map reference where there is no relocation. */
function objection(prog: Program, pins: Set<number>): (insns: readonly Insn[]) => string | undefined {
  return (insns) => {
    for (const s of pins) if (!same(insns[s], prog.insns[s])) return `the search changed slot ${s}, which a relocation pins (written unchanged)`;
    for (let i = 0; i < insns.length; i++) {
      if (insns[i]!.op === LDDW_OPCODE && insns[i]!.src !== 0 && !pins.has(i)) return `a map reference at slot ${i} has no relocation (written unchanged)`;
      if (insns[i]!.op === LDDW_OPCODE) i++;
    }
    return undefined;
  };
}

/** The section's new bytes: the optimized slots, the original (relocation placeholder) bytes at pinned slots, compacted. */
function sectionRewrite(cs: CodeSection, best: readonly Insn[], pins: Set<number>): SectionRewrite {
  const raw = best.map((x, i) => (pins.has(i) ? { ...cs.raw[i]! } : { ...x }));
  const c = compact(raw);
  return { name: cs.name, insns: c.insns, newSlot: c.newSlot };
}

export interface ObjectRun { sections: SectionResult[]; bytes: Uint8Array }

export async function optimizeObject(path: string, bytes: Uint8Array, plan: Plan, onProgress?: (section: string, iterations: number, bestPerf: number) => void): Promise<ObjectRun> {
  const r = plan.request;
  const sections = programSections(bytes, r.sections);
  const results: SectionResult[] = [];
  const work: { cs: CodeSection; prog: Program }[] = [];
  for (const cs of sections) {
    let prog: Program;
    try {
      prog = loadProgram(path, { section: cs.name, ...(r.progType !== undefined ? { progType: r.progType } : {}) });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      results.push({ section: cs.name, before: cs.slots, after: cs.slots, skipped: `not loaded: ${e.message.replace(`${path}: `, '')}` });
      continue;
    }
    const why = notRewritable(cs, prog);
    if (why) { results.push({ section: cs.name, before: cs.slots, after: cs.slots, skipped: `${why}: not searched` }); continue; }
    work.push({ cs, prog });
  }
  const rewrites: SectionRewrite[] = [];
  for (let k = 0; k < work.length; k++) {
    const { cs, prog } = work[k]!;
    if (Atomics.load(plan.stop, 0) !== 0) { results.push({ section: cs.name, before: cs.slots, after: cs.slots, skipped: 'stopped (Ctrl-C) before its turn' }); continue; }
    const pins = pinned(cs);
    // Each remaining section gets an equal share of the time left.
    const endAt = plan.deadlineAt === undefined ? undefined : Date.now() + (plan.deadlineAt - Date.now()) / (work.length - k);
    let outcome: ProgramOutcome;
    try {
      outcome = await optimizeProgram(prog, plan, {
        ...(endAt !== undefined ? { endAt } : {}), objection: objection(prog, pins),
        ...(onProgress ? { onProgress: (it: number, bp: number) => onProgress(cs.name, it, bp) } : {}),
      });
    } catch (e) {
      // What the search cannot model (a map type, a helper, an input the interpreter cannot run)
      // leaves this section as it is, not the whole object; the reason is in the table.
      const msg = e instanceof Error ? e.message : String(e);
      results.push({ section: cs.name, before: cs.slots, after: cs.slots, skipped: `not searched: ${e instanceof InputError ? '' : 'search failed: '}${msg.replace(`${path}: `, '')}` });
      continue;
    }
    outcome.report['section'] = cs.name;
    if (outcome.gate.optimized) rewrites.push(sectionRewrite(cs, outcome.result.best.insns, pins));
    results.push({ section: cs.name, before: cs.slots, after: outcome.gate.insns.length, outcome });
  }
  for (const rw of rewrites) {
    const res = results.find((x) => x.section === rw.name)!;
    if (rw.insns.length !== res.after) throw new Error(`${rw.name}: the written section has ${rw.insns.length} slots, the proved program ${res.after}`);
  }
  return { sections: results, bytes: rewrites.length > 0 ? rewriteObject(bytes, rewrites) : bytes };
}
