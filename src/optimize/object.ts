/**
 * Objects in, objects out: every program section of a clang object (or the `--section`s asked
 * for) is optimized in turn, each in its share of the time left, and the object is written again
 * with the sections the gate let through rewritten (src/ebpf/elf-write.ts); every other section,
 * and every section whose result failed the gate, keeps its original bytes. A section is searched
 * only when it can be written back slot for slot: one function filling the section, its
 * instructions all in it (no calls into other sections).
 */
import { InputError } from '../ebpf/errors.js';
import { LDDW_OPCODE, sameInsn, type Insn } from '../ebpf/insn.js';
import { inspectObject, rewriteObject, type CodeSection, type SectionRewrite } from '../ebpf/elf-write.js';
import { loadProgram } from '../ebpf/load.js';
import type { Program } from '../ebpf/program.js';
import { compact } from './compact.js';
import type { Plan } from './plan.js';
import { optimizeProgram, type ProgramOutcome } from './program-run.js';
import { Pseudo } from '../ebpf/opcodes.js';

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

const same = (a: Insn | undefined, b: Insn | undefined): boolean => !!a && !!b && sameInsn(a, b);

/** Slots the search must leave as they are: relocated ones (both halves of a 64-bit load) and CO-RE ones. */
function pinned(cs: CodeSection): Set<number> {
  const out = new Set<number>();
  for (const s of [...cs.relocated, ...cs.coreRelocated]) {
    out.add(s);
    if (cs.raw[s]?.op === LDDW_OPCODE) out.add(s + 1);
  }
  return out;
}

/** One program of a section: the whole section, or one of the functions that tile it. */
interface Unit { cs: CodeSection; label: string; load: string; start: number; end: number }

/** The units of a section, or why it cannot be written back slot for slot. */
function unitsOf(cs: CodeSection): Unit[] | string {
  const fns = [...cs.functions].sort((a, b) => a.start - b.start);
  if (fns.length <= 1) return [{ cs, label: cs.name, load: cs.name, start: 0, end: cs.slots }];
  // Several programs in one section: each is searched alone when the functions tile the section.
  const tiles = fns.every((f, i) => f.start === (i === 0 ? 0 : fns[i - 1]!.end)) && fns[fns.length - 1]!.end === cs.slots;
  if (!tiles) return `its ${fns.length} functions do not tile the section`;
  return fns.map((f) => ({ cs, label: `${cs.name}:${f.name}`, load: f.name, start: f.start, end: f.end }));
}

/** The gate's extra condition: pinned slots unchanged, no map reference where there is no relocation. */
function objection(prog: Program, pins: Set<number>): (insns: readonly Insn[]) => string | undefined {
  return (insns) => {
    for (const s of pins) if (!same(insns[s], prog.insns[s])) return `the search changed slot ${s}, which a relocation pins (written unchanged)`;
    for (let i = 0; i < insns.length; i++) {
      if (insns[i]!.op === LDDW_OPCODE && insns[i]!.src !== Pseudo.NONE && !pins.has(i)) return `a map reference at slot ${i} has no relocation (written unchanged)`;
      if (insns[i]!.op === LDDW_OPCODE) i++;
    }
    return undefined;
  };
}

/**
 * A section's new bytes: each optimized unit's slots (the original relocation-placeholder bytes at
 * pinned slots), the other units as they were, compacted — NOPs removed only inside optimized units.
 */
function sectionRewrite(cs: CodeSection, parts: readonly { unit: Unit; best: readonly Insn[] }[], pins: Set<number>): SectionRewrite {
  const raw = cs.raw.map((x) => ({ ...x }));
  const inPart = new Uint8Array(cs.slots);
  for (const { unit, best } of parts) {
    best.forEach((x, i) => { const slot = unit.start + i; raw[slot] = pins.has(slot) ? { ...cs.raw[slot]! } : { ...x }; inPart[slot] = 1; });
  }
  const c = compact(raw, (slot) => inPart[slot] === 1);
  return { name: cs.name, insns: c.insns, newSlot: c.newSlot };
}

export interface ObjectRun { sections: SectionResult[]; bytes: Uint8Array }

export async function optimizeObject(path: string, bytes: Uint8Array, plan: Plan, onProgress?: (section: string, iterations: number, bestPerf: number) => void): Promise<ObjectRun> {
  const r = plan.request;
  const results: SectionResult[] = [];
  const skip = (label: string, n: number, why: string): void => { results.push({ section: label, before: n, after: n, skipped: why }); };
  const work: { unit: Unit; prog: Program }[] = [];
  for (const cs of programSections(bytes, r.sections)) {
    const units = unitsOf(cs);
    if (typeof units === 'string') { skip(cs.name, cs.slots, `${units}: not searched`); continue; }
    for (const unit of units) {
      const n = unit.end - unit.start;
      let prog: Program;
      try {
        prog = loadProgram(path, { section: unit.load, ...(r.progType !== undefined ? { progType: r.progType } : {}) });
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        skip(unit.label, n, `not loaded: ${e.message.replace(`${path}: `, '')}`);
        continue;
      }
      if (prog.insns.length !== n) skip(unit.label, n, `calls subprograms outside it (${prog.insns.length} slots linked, ${n} its own): not searched`);
      else work.push({ unit, prog });
    }
  }
  const pinsOf = new Map<CodeSection, Set<number>>();
  const done = new Map<CodeSection, { unit: Unit; best: readonly Insn[] }[]>();
  for (let k = 0; k < work.length; k++) {
    const { unit, prog } = work[k]!;
    const n = unit.end - unit.start;
    if (Atomics.load(plan.stop, 0) !== 0) { skip(unit.label, n, 'stopped (Ctrl-C) before its turn'); continue; }
    if (!pinsOf.has(unit.cs)) pinsOf.set(unit.cs, pinned(unit.cs));
    const localPins = new Set([...pinsOf.get(unit.cs)!].filter((s) => s >= unit.start && s < unit.end).map((s) => s - unit.start));
    // Each remaining program gets an equal share of the time left.
    const endAt = plan.deadlineAt === undefined ? undefined : Date.now() + (plan.deadlineAt - Date.now()) / (work.length - k);
    // The pins are known before the search: no pass, rule or proposal changes them (the gate still checks).
    if (localPins.size > 0) prog.frozen = [...localPins].sort((a, b) => a - b);
    let outcome: ProgramOutcome;
    try {
      outcome = await optimizeProgram(prog, plan, {
        ...(endAt !== undefined ? { endAt } : {}), objection: objection(prog, localPins),
        ...(onProgress ? { onProgress: (it: number, bp: number) => onProgress(unit.label, it, bp) } : {}),
      });
    } catch (e) {
      // What the search cannot model (a map type, a helper, an input the interpreter cannot run)
      // leaves this program as it is, not the whole object; the reason is in the table.
      const msg = e instanceof Error ? e.message : String(e);
      skip(unit.label, n, `not searched: ${e instanceof InputError ? '' : 'search failed: '}${msg.replace(`${path}: `, '')}`);
      continue;
    }
    outcome.report['section'] = unit.label;
    if (outcome.gate.optimized) done.set(unit.cs, [...(done.get(unit.cs) ?? []), { unit, best: outcome.result.best.insns }]);
    results.push({ section: unit.label, before: n, after: outcome.gate.insns.length, outcome });
  }
  const rewrites = [...done].map(([cs, parts]) => sectionRewrite(cs, parts, pinsOf.get(cs)!));
  for (const [cs, parts] of done) {
    // The written slots of each optimized unit must be the program the gate passed.
    const rw = rewrites.find((x) => x.name === cs.name)!;
    for (const { unit } of parts) {
      const written = rw.newSlot[unit.end]! - rw.newSlot[unit.start]!;
      const res = results.find((x) => x.section === unit.label)!;
      if (written !== res.after) throw new Error(`${unit.label}: ${written} slots written, the proved program has ${res.after}`);
    }
  }
  return { sections: results, bytes: rewrites.length > 0 ? rewriteObject(bytes, rewrites) : bytes };
}
