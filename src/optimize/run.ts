/**
 * One optimize run from a request: the plan (resolved once), Ctrl-C handling, the object or the
 * single program, the outputs (an object, or K2's files in a directory), the RunReport(s) as JSON,
 * the table. Bad input — an object without program sections, an unknown section, an output path
 * that cannot be written — is an InputError before any search starts.
 */
import { existsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { disassemble } from '../ebpf/disasm.js';
import { InputError } from '../ebpf/errors.js';
import { encodeProgram } from '../ebpf/insn.js';
import { formatDescFile, formatMapsFile } from '../ebpf/k2-files.js';
import { loadProgram, readInputFile, resolveProgramPath } from '../ebpf/load.js';
import { makeDirs, writeFileAtomic } from '../common/atomic-write.js';
import { optimizeObject, programSections, type SectionResult } from './object.js';
import { makePlan, type OptimizeRequest, type Plan } from './plan.js';
import { endProgress, programSummary, progressPrinter, sectionTable } from './present.js';
import { optimizeProgram, type ProgramOutcome } from './program-run.js';

const isElf = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;

/** `-o X.o` (not an existing directory) asks for an object; anything else is a directory for K2's files. */
function wantsObject(out: string): boolean {
  return out.endsWith('.o') && !(existsSync(out) && statSync(out).isDirectory());
}

/**
 * Fails before any search when the output cannot be written: the folder is made and a probe file
 * written and removed (an access() check says yes to root even under /proc).
 */
function checkWritable(out: string, object: boolean): void {
  const dir = object ? dirname(resolve(out)) : resolve(out);
  const probe = join(dir, `.k2lab-write-probe-${process.pid}`);
  try {
    makeDirs(dir);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${out}: cannot write (${code === 'ENOTDIR' || code === 'EEXIST' ? 'a path component is not a directory' : code ?? 'not writable'})`);
  }
}

export interface RunOutput { exitCode: number }

export async function runOptimize(r: OptimizeRequest, startedAt: number): Promise<RunOutput> {
  const file = resolveProgramPath(r.input);
  const bytes = readInputFile(file);
  const elf = isElf(bytes);
  const object = r.out !== undefined && wantsObject(r.out);
  if (object && !elf) throw new InputError(`-o ${r.out}: an object is written only for a clang object input (${file} is not one); give a directory for K2's files`);
  if (elf) programSections(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), r.sections); // bad sections fail before any search
  if (!object && r.sections.length > 1) throw new InputError('--section: K2\'s files hold one program; give one --section, or -o FILE.o for an object');
  if (r.out !== undefined) checkWritable(r.out, object);
  const firstProgram = object ? undefined : loadProgram(file, { ...(r.progType !== undefined ? { progType: r.progType } : {}), ...(r.sections[0] !== undefined ? { section: r.sections[0] } : {}) });
  const plan = makePlan(r, firstProgram?.name ?? file, startedAt);
  const limitS = plan.deadlineAt === undefined ? undefined : (plan.deadlineAt - startedAt) / 1000;
  const progress = r.progress ? progressPrinter(limitS) : undefined;
  let interrupts = 0;
  const onSigint = (): void => {
    Atomics.store(plan.stop, 0, 1);
    if (++interrupts > 1) process.exit(130);
    if (r.progress) process.stderr.write('\nk2lab: stopping (Ctrl-C again to quit without writing)…\n');
  };
  // Only searches in worker threads can be stopped; a single iteration-bounded chain (the measured,
  // deterministic runs) searches on this thread, where Ctrl-C keeps its default: end the process.
  const stoppable = plan.bound === 'time' || plan.chains > 1;
  if (stoppable) process.on('SIGINT', onSigint);
  try {
    if (object) return finishObject(r, plan, await optimizeObject(file, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), plan, progress), progress !== undefined);
    const o = await optimizeProgram(firstProgram!, plan, {
      ...(plan.deadlineAt !== undefined ? { endAt: plan.deadlineAt } : {}),
      ...(progress ? { onProgress: (it: number, bp: number) => progress(firstProgram!.name, it, bp) } : {}),
    });
    if (progress) endProgress();
    emitJson(r, o.report);
    if (r.json !== '-') process.stdout.write(programSummary(o));
    if (r.out !== undefined) writeK2Files(r.out, o);
    return { exitCode: Atomics.load(plan.stop, 0) !== 0 ? 130 : 0 };
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function finishObject(r: OptimizeRequest, plan: Plan, run: { sections: SectionResult[]; bytes: Uint8Array }, progress: boolean): RunOutput {
  if (progress) endProgress();
  writeFileAtomic(r.out!, run.bytes);
  const reports = run.sections.flatMap((s) => (s.outcome ? [s.outcome.report] : []));
  emitJson(r, { object: r.input, output: r.out, bound: plan.bound, sections: run.sections.map((s) => ({ section: s.section, before: s.before, after: s.after, ...(s.skipped ? { skipped: s.skipped } : {}) })), reports });
  if (r.json !== '-') process.stdout.write(sectionTable(run.sections) + `wrote ${r.out}\n`);
  return { exitCode: Atomics.load(plan.stop, 0) !== 0 ? 130 : 0 };
}

function emitJson(r: OptimizeRequest, value: unknown): void {
  if (r.json === undefined) return;
  const text = JSON.stringify(value, null, 2) + '\n';
  if (r.json === '-') process.stdout.write(text);
  else writeFileAtomic(r.json, text, { mkdir: true });
}

/** K2's files for the written program (only when the gate let an optimized program through). */
function writeK2Files(dir: string, o: ProgramOutcome): void {
  if (!o.gate.optimized) {
    process.stderr.write(`k2lab: nothing written to ${dir}: ${o.gate.rejected ?? 'no smaller program was found'}\n`);
    return;
  }
  makeDirs(dir);
  const p = o.program;
  const note = `; ${o.gate.insns.length} slots (from ${p.insns.length}), verified: ${o.gate.verified}${o.gate.proofNote ? ` (${o.gate.proofNote})` : ''}, kernel: ${o.gate.kernel}`;
  writeFileAtomic(join(dir, 'output0.insns'), encodeProgram(o.gate.insns));
  writeFileAtomic(join(dir, 'output0.s'), `${note}\n${disassemble(o.gate.insns).join('\n')}\n`);
  // K2's side files, so the output loads like the input (k2lab run/kernel-check DIR/output0).
  if (p.maps.length > 0) writeFileAtomic(join(dir, 'output0.maps'), formatMapsFile(p.maps));
  if (p.k2InputType !== undefined && p.maxPktSize !== undefined) writeFileAtomic(join(dir, 'output0.desc'), formatDescFile({ pgmInputType: p.k2InputType, maxPktSize: p.maxPktSize }));
}
