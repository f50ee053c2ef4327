/**
 * `k2lab difftest PROG`: the interpreter against the Linux kernel (BPF_PROG_TEST_RUN) on N seeded
 * generated inputs with the same initial maps; totals, and each mismatch with a shrunk reproducer.
 * Exit status 1 when anything differs.
 */
import type { CommandModule } from 'yargs';
import { InputError } from '../ebpf/errors.js';
import { loadProgram } from '../ebpf/load.js';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { difftest, type Outcome } from '../kernel/difftest.js';
import { corpusCsv, corpusMarkdown, difftestCorpus, type CorpusRow } from '../kernel/difftest-corpus.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import { kernelAgreement } from '../optimize/index.js';
import { withProgramFlags } from './common.js';

interface Args { against?: string; prog: string; 'prog-type'?: string; section?: string; packets: number; seed: number; 'max-len': number; examples: number; json: boolean; 'strict-environment': boolean; corpus: boolean; out?: string; filter?: string }

export const difftestCommand: CommandModule<object, Args> = {
  command: 'difftest <prog>',
  describe: 'differential test: interpreter vs. the Linux kernel (BPF_PROG_TEST_RUN) on generated packets and maps',
  builder: (y) => withProgramFlags(y)
    .positional('prog', { type: 'string', demandOption: true, describe: 'program file or K2 path prefix' })
    .option('packets', { type: 'number', default: 1000, describe: 'inputs to compare' })
    .option('seed', { type: 'number', default: 1, describe: 'seed of the input generator' })
    .option('max-len', { type: 'number', default: 256, describe: 'longest generated packet (the kernel needs at least 14 bytes)' })
    .option('examples', { type: 'number', default: 5, describe: 'mismatches to shrink and show in full' })
    .option('json', { type: 'boolean', default: false, describe: 'print { program, inputs, mismatches, kernelTestRun, examples: [...] }' })
    .option('strict-environment', { type: 'boolean', default: false, describe: 'count inputs whose result depends on the environment model (time, randomness, fib_lookup, …) as mismatches when they differ' })
    .option('corpus', { type: 'boolean', default: false, describe: 'PROG is a folder: every program of every .o in it (interpret, then difftest where the kernel can test-run it); prints a table' })
    .option('out', { type: 'string', describe: 'with --corpus: write difftest.md and difftest.csv to this folder' })
    .option('filter', { type: 'string', describe: 'with --corpus: only objects whose path contains this' })
    .example('$0 difftest ../shared/real-world/objs --corpus --packets 10000 --out results/real-world-difftest', '')
    .option('against', { type: 'string', describe: 'another program (e.g. the optimized object): both run in the kernel on the same inputs and maps; r0, packet and maps compared' })
    .example('$0 difftest ../shared/k2-suite/programs/xdp_fw --packets 10000', '') as never,
  handler: (a) => {
    for (const [k, v] of [['packets', a.packets], ['examples', a.examples]] as const) {
      if (!Number.isInteger(v) || v < (k === 'packets' ? 1 : 0)) throw new InputError(`--${k}: expected a ${k === 'packets' ? 'positive' : 'non-negative'} integer, got ${v}`);
    }
    if (!Number.isInteger(a.seed)) throw new InputError(`--seed: expected an integer, got ${a.seed}`);
    if (a.corpus) { runCorpus(a); return; }
    if (a.out !== undefined || a.filter !== undefined) throw new InputError(`--${a.out !== undefined ? 'out' : 'filter'} needs --corpus`);
    const prog = loadProgram(a.prog, { progType: a['prog-type'], section: a.section });
    if (a.against !== undefined) {
      const other = loadProgram(a.against, { progType: a['prog-type'] ?? prog.progType, section: a.section });
      const g = kernelAgreement(prog, other, a.packets, a.seed, a['max-len']);
      if (a.json) process.stdout.write(JSON.stringify({ program: a.prog, against: a.against, ...g }, null, 2) + '\n');
      else if (!g.testRun) process.stdout.write(`${prog.name}: ${prog.progType ?? 'unknown'} programs cannot be test-run by the kernel: nothing compared\n`);
      else if (g.rejected) process.stdout.write(`rejected by the Linux verifier: ${g.rejected}\n`);
      else process.stdout.write(`${a.prog} vs ${a.against} (${prog.name}, kernel test runs): ${g.inputs} inputs, ${g.mismatches} mismatch${g.mismatches === 1 ? '' : 'es'}${g.first ? `; first on ${g.first.packetHex}: ${g.first.differs.join(', ')}\n  A ${g.first.a}\n  B ${g.first.b}` : ''}\n`);
      if (g.mismatches > 0 || g.rejected) process.exitCode = 1;
      return;
    }
    const r = difftest(prog, { inputs: a.packets, seed: a.seed, maxLen: a['max-len'], maxExamples: a.examples, strictEnvironment: a['strict-environment'] });
    if (a.json) {
      process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    } else if (!r.kernelTestRun) {
      process.stdout.write(`${r.program}: ${r.note}\n`);
    } else {
      const out: string[] = [`${r.program} (${r.progType}): ${r.inputs} inputs, ${r.mismatches} mismatch${r.mismatches === 1 ? '' : 'es'} (seed ${r.seed}, kernel test runs on CPU ${r.cpu})`];
      if (r.environmentDependent > 0) {
        const by = Object.entries(r.environmentHelpers).map(([h, n]) => `${h} ${n}`).join(', ');
        out.push(`  environment-dependent: ${r.environmentDependent} input${r.environmentDependent === 1 ? '' : 's'} called helpers answered by the input model (${by}); ${r.environmentMismatches} of them differ from the kernel's own answer (not counted as mismatches)`);
      }
      for (const [why, n] of Object.entries(r.skipped)) out.push(`  not compared: ${n} generated packet${n === 1 ? '' : 's'} the kernel's test run refuses: ${why}`);
      r.examples.forEach((e, i) => {
        out.push(`mismatch ${i + 1} (input ${e.index}, ${e.kind}; shrunk): ${e.differs.join(', ')}`);
        out.push(`  input      ${e.inputHex}`);
        if (e.mapSeeds) out.push(`  map seeds  ${JSON.stringify(e.mapSeeds)}`);
        out.push(`  interp     ${describe(e.interpreter)}`, `  kernel     ${describe(e.kernel)}`);
        out.push(`  reproduce  k2lab run ${a.prog} --packet-hex ${e.inputHex}${e.mapSeeds ? '   (after seeding the maps above)' : ''}`);
      });
      if (r.mismatches > r.examples.length) out.push(`(${r.mismatches - r.examples.length} more mismatches not shown; --examples N)`);
      process.stdout.write(out.join('\n') + '\n');
    }
    if (r.mismatches > 0) process.exitCode = 1;
  },
};

function describe(o: Outcome): string {
  const maps = o.maps.filter((m) => m.entries.length > 0).map((m) => `${m.name}{${m.entries.map((e) => `${e.key}:${e.value}`).join(' ')}}`);
  return [
    `r0=${o.r0}${o.tailCall !== undefined ? ` (tail call to slot ${o.tailCall})` : ''}`,
    `packet=${o.packetHex || '(empty)'}`,
    maps.length > 0 ? `maps ${maps.join(' ')}` : 'maps empty',
    ...(o.error ? [`error: ${o.error}`] : []),
  ].join('  ');
}

function runCorpus(a: Args): void {
  if (!existsSync(a.prog) || !statSync(a.prog).isDirectory()) throw new InputError(`${a.prog}: --corpus needs a folder of .o objects`);
  const opts = { inputs: a.packets, seed: a.seed, maxLen: a['max-len'], ...(a.filter ? { filter: a.filter } : {}) };
  const write = (rows: readonly CorpusRow[]): void => {
    if (!a.out) return;
    writeFileAtomic(join(a.out, 'difftest.md'), corpusMarkdown(rows, opts), { mkdir: true });
    writeFileAtomic(join(a.out, 'difftest.csv'), corpusCsv(rows), { mkdir: true });
  };
  const done: CorpusRow[] = [];
  const rows = difftestCorpus(a.prog, opts, (r) => {
    process.stderr.write(`${r.object} ${r.program}: ${r.interpreter === 'ok' ? r.kernel : r.interpreter} ${r.inputs ? `(${r.inputs} inputs, ${r.mismatches} mismatches, ${r.environmentDependent} environment-dependent)` : ''}\n`);
    // The table so far after every program: a long run stopped early leaves what it finished.
    done.push(r);
    if (r.inputs > 0) write(done);
  });
  const md = corpusMarkdown(rows, opts);
  write(rows);
  process.stdout.write(a.json ? JSON.stringify(rows, null, 2) + '\n' : md);
  if (rows.some((r) => r.mismatches > 0)) process.exitCode = 1;
}
