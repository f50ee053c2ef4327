/**
 * The corpus report's pipeline: every program of every clang object under a folder goes through
 * load → disassemble (against llvm-objdump-19) → interpret (a few seeded inputs) → kernel-check →
 * difftest (short), and each stage's outcome is one row with the reason for every failure.
 * Stages after a failed load are not run (they have no program); the others run independently.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { objectsUnder } from '../common/files-under.js';
import { listElfPrograms, loadElfProgram, type ElfLoadOptions } from '../ebpf/elf.js';
import { InputError } from '../ebpf/errors.js';
import type { Program } from '../ebpf/program.js';
import { Session, toRunnable } from '../interp/run.js';
import { difftest } from '../kernel/difftest.js';
import { close, kernelUnavailableReason, loadProgram } from '../kernel/index.js';
import { generatePacket } from '../kernel/packets.js';
import { canTestRunProgram } from '../kernel/testrun.js';
import { Rng } from '../common/rng.js';
import { compareFunction, dumpObject, objdumpAvailable, OBJDUMP, type DumpedFunction } from './objdump.js';

/** A stage's outcome: `ok` (with a detail), `fail` (with the reason) or `skip` (with why). */
export interface Stage { status: 'ok' | 'fail' | 'skip'; detail: string }

export interface CorpusRow {
  object: string;
  program: string;
  section: string;
  progType: string;
  slots: number;
  load: Stage;
  disasm: Stage;
  interpret: Stage;
  kernel: Stage;
  difftest: Stage;
}

export interface CorpusOptions extends ElfLoadOptions {
  /** Interpreter inputs per program (seeded). */
  inputs: number;
  /** Difftest inputs per test-runnable program (0: skip the stage). */
  difftestInputs: number;
  seed: number;
  /** Progress line per object (stderr). */
  progress?: (msg: string) => void;
  /** Only the objects whose path relative to the folder passes (tests run a subset). */
  filter?: (object: string) => boolean;
}

export { objectsUnder };

const ok = (detail = ''): Stage => ({ status: 'ok', detail });
const fail = (detail: string): Stage => ({ status: 'fail', detail: oneLine(detail) });
const skip = (detail: string): Stage => ({ status: 'skip', detail });
const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').slice(0, 400);
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function runCorpus(dir: string, opts: CorpusOptions): CorpusRow[] {
  const rows: CorpusRow[] = [];
  const kernelReason = kernelUnavailableReason();
  const objects = objectsUnder(dir).filter((p) => !opts.filter || opts.filter(relative(dir, p)));
  if (objects.length === 0) throw new InputError(`${dir}: no .o files under this folder`);
  for (const path of objects) {
    const object = relative(dir, path);
    opts.progress?.(object);
    const bytes = new Uint8Array(readFileSync(path));
    let programs: ReturnType<typeof listElfPrograms>;
    try {
      programs = listElfPrograms(bytes);
    } catch (e) {
      rows.push({ object, program: '', section: '', progType: '', slots: 0, load: fail(message(e)), disasm: skip('not loaded'), interpret: skip('not loaded'), kernel: skip('not loaded'), difftest: skip('not loaded') });
      continue;
    }
    let dump: Map<string, DumpedFunction> | string;
    try { dump = objdumpAvailable() ? dumpObject(path) : `${OBJDUMP} not installed`; } catch (e) { dump = `${OBJDUMP} failed: ${message(e)}`; }
    for (const p of programs) {
      const row: CorpusRow = { object, program: p.name, section: p.section, progType: '', slots: 0, load: ok(), disasm: skip(''), interpret: skip(''), kernel: skip(''), difftest: skip('') };
      rows.push(row);
      let prog: Program;
      try {
        prog = loadElfProgram(bytes, path, p.name, opts);
      } catch (e) {
        row.load = fail(message(e));
        for (const k of ['disasm', 'interpret', 'kernel', 'difftest'] as const) row[k] = skip('not loaded');
        continue;
      }
      row.progType = prog.progType ?? '';
      row.slots = prog.insns.length;
      const extras = [prog.poisoned && `${prog.poisoned.length} CO-RE relocation(s) poisoned as libbpf does`, prog.kfuncs && `kfunc ${prog.kfuncs.map((k) => k.name).join(', ')}`,
        prog.maps.some((m) => m.sizedBy === 'default') && `default size for ${prog.maps.filter((m) => m.sizedBy === 'default').map((m) => m.name).join(', ')}`].filter(Boolean);
      row.load = ok(extras.join('; '));
      row.disasm = typeof dump === 'string' ? skip(dump) : checkDisasm(prog, dump);
      row.interpret = interpret(prog, opts);
      if (kernelReason) {
        row.kernel = skip(kernelReason);
        row.difftest = skip(kernelReason);
        continue;
      }
      row.kernel = kernelCheck(prog);
      row.difftest = row.kernel.status !== 'ok' ? skip('not accepted by the kernel')
        : !canTestRunProgram(prog) ? skip(`verifier-only: the kernel cannot test-run ${prog.section?.startsWith('xdp/') ? `${prog.section} (devmap/cpumap) XDP` : prog.progType ?? 'these'} programs`)
          : opts.difftestInputs <= 0 ? skip('not asked for (--difftest 0)') : runDifftest(prog, opts);
    }
  }
  return rows;
}

/** Every linked function's objdump listing against our disassembly of its bytes; sizes must add up. */
function checkDisasm(prog: Program, dump: Map<string, DumpedFunction>): Stage {
  const fns = prog.functions ?? [];
  let slots = 0;
  for (const f of fns) {
    const d = dump.get(f.name);
    if (!d) return fail(`function '${f.name}' is not in ${OBJDUMP}'s listing`);
    const diffs = compareFunction(d);
    if (diffs.length > 0) return fail(`${f.name}: ${diffs.length} difference(s), first: ${diffs[0]}`);
    slots += d.bytes.length / 8;
  }
  if (slots !== prog.insns.length) return fail(`linked program has ${prog.insns.length} slots, its functions ${slots}`);
  return ok(`${fns.length} function(s), ${slots} slots identical`);
}

/** The interpreter on `inputs` seeded packets; the first error (and how many inputs hit one) is the reason. */
function interpret(prog: Program, opts: CorpusOptions): Stage {
  let session: Session;
  try {
    session = new Session(toRunnable(prog));
  } catch (e) {
    return fail(message(e));
  }
  const rng = new Rng(opts.seed);
  let errors = 0, first = '';
  for (let i = 0; i < opts.inputs; i++) {
    const { packet } = generatePacket(rng, { minLen: 14, maxLen: 256 });
    try {
      session.run({ packet });
      const e = session.error;
      if (e) { errors++; first ||= `${e.kind} at instruction ${e.pc}: ${e.message}`; }
    } catch (e) {
      errors++;
      first ||= message(e);
    }
  }
  return errors === 0 ? ok(`${opts.inputs} inputs`) : fail(`${errors} of ${opts.inputs} inputs stop with an error; first: ${first}`);
}

function kernelCheck(prog: Program): Stage {
  try {
    const r = loadProgram(prog, { logLevel: 1 });
    if (!r.accepted) return fail(`${r.log ? 'rejected by the verifier' : 'refused by the kernel'}: ${r.reason}`);
    close(r);
    const n = r.notes;
    return ok([n.expectedAttachType && `attach type ${n.expectedAttachType}`, n.attachTarget && `target ${n.attachTarget}`, n.btf && n.btf !== 'loaded' && `BTF ${n.btf}`].filter(Boolean).join('; '));
  } catch (e) {
    return fail(message(e));
  }
}

function runDifftest(prog: Program, opts: CorpusOptions): Stage {
  try {
    const r = difftest(prog, { inputs: opts.difftestInputs, seed: opts.seed, maxExamples: 1 });
    const env = r.environmentDependent > 0 ? `, ${r.environmentDependent} environment-dependent (${r.environmentMismatches} of them differ: ${Object.keys(r.environmentHelpers).join(', ')})` : '';
    if (r.mismatches === 0) return ok(`${r.inputs} inputs, 0 mismatches${env}`);
    const ex = r.examples[0];
    const why = ex ? `${ex.differs.join(', ')}${ex.interpreter.error ? ` (interpreter: ${ex.interpreter.error})` : ''}` : '';
    return fail(`${r.mismatches} of ${r.inputs} inputs differ; first: ${why}`);
  } catch (e) {
    return fail(message(e));
  }
}
