/**
 * `k2lab soundness`: the soundness harness over a corpus (src/soundness): seeded mutants, each
 * that Z3 calls equal checked against its original in the interpreter and the kernel. Exit 1 on
 * any disagreement or any mutant our safety checker accepts and the kernel rejects.
 */
import type { CommandModule } from 'yargs';
import { join } from 'node:path';
import { InputError } from '../ebpf/errors.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import { builtinSuitePrograms, k2SuitePrograms, repoRoot } from '../common/paths.js';
import { loadCorpus } from '../soundness/corpus.js';
import { runHarness, type HarnessReport } from '../soundness/harness.js';
import { compareSafety } from '../soundness/safety-kernel.js';
import { safetyCsv, safetyMarkdown } from '../soundness/safety-report.js';
import { gitCommit } from '../common/git.js';
import { kernelUnavailableReason } from '../kernel/index.js';
import { createZ3Checker } from '../verify/checker.js';
import { runShards, shardArg } from './soundness-shards.js';
import { shardOf } from '../soundness/merge.js';
import { createZ3Impl, nativeAvailable } from '../../variants/z3/index.js';
import { withDeadline } from '../../variants/z3/deadline.js';

interface Args { jobs: number; shard?: string; programs?: string[]; 'time-limit'?: number; mutants: number; seed: number; inputs: number; 'kernel-inputs': number; 'kernel-verdicts': boolean; json?: string; 'safety-only': boolean; 'safety-out'?: string; rlimit?: number; 'query-ms'?: number }

/** With --query-ms, a native z3 still busy this long after a query's deadline is killed (the query is unknown). */
const HARD_GRACE_MS = 1000;

const positiveInt = (name: string, v: number, min = 1): void => {
  if (!Number.isInteger(v) || v < min) throw new InputError(`--${name}: expected an integer ≥ ${min}, got ${v}`);
};

export function summary(r: HarnessReport): string {
  const v = r.verdicts;
  return [
    `programs: ${r.programs} (skipped ${r.skipped.length})`,
    `mutants tried: ${r.mutants} (duplicates ${r.duplicates}); rejected by safety ${r.rejectedBySafety}, by the tests ${r.rejectedByTests}`,
    `verify: equal ${v.equal}, not equal ${v.notEqual}, unsafe ${v.unsafe}, unknown ${v.unknown}`,
    `equal mutants checked in the kernel: ${r.kernelChecked}${Object.keys(r.kernelSkipped).length ? ` (not: ${Object.entries(r.kernelSkipped).map(([k, n]) => `${n} ${k}`).join('; ')})` : ''}`,
    `kernel verdicts compared: ${r.kernelVerdictsCompared}; safety accepted / kernel rejected: ${r.safetyAcceptedKernelRejected.length}; safety rejected / kernel accepted: ${r.safetyRejectedKernelAccepted}`,
    `disagreements: ${r.disagreements}`,
    `time: ${(r.ms / 1000).toFixed(1)} s (${Object.entries(r.phaseMs).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)}`).join(', ')})`,
  ].join('\n');
}

export const soundnessCommand: CommandModule<object, Args> = {
  command: 'soundness',
  describe: 'mutate real programs; every mutant Z3 calls equal must agree with its original (interpreter and kernel)',
  builder: (y) => y
    .option('programs', { type: 'string', array: true, describe: 'program files or folders (.insns, .o); default ../shared/k2-suite/programs, suites/builtin/programs, ../shared/real-world/objs' })
    .option('jobs', { type: 'number', default: 1, describe: 'processes to shard the corpus over (program i → shard i mod N; one merged report)' })
    .option('shard', { type: 'string', hidden: true, describe: 'I/N: run only shard I of N (set by --jobs)' })
    .option('mutants', { type: 'number', default: 1000, describe: 'mutants to try (round robin over the programs)' })
    .option('seed', { type: 'number', default: 1 })
    .option('inputs', { type: 'number', default: 10_000, describe: 'interpreter inputs per mutant called equal' })
    .option('kernel-inputs', { type: 'number', default: 1000, describe: 'kernel test runs per mutant called equal (0: none)' })
    .option('kernel-verdicts', { type: 'boolean', default: true, describe: 'compare the verifier\'s verdict on mutants our safety checker accepts' })
    .option('time-limit', { type: 'number', describe: 'stop trying new mutants after this many seconds' })
    .option('json', { type: 'string', describe: 'write the report as JSON to this file (- for stdout)' })
    .option('rlimit', { type: 'number', describe: 'Z3 resource limit per check (default the search\'s); a query that exhausts it is unknown' })
    .option('query-ms', { type: 'number', describe: 'wall-clock cap per Z3 query (Z3\'s :timeout; the verdict is unknown when it is hit)' })
    .option('safety-only', { type: 'boolean', default: false, describe: 'only compare our safety checker\'s verdicts with the verifier\'s on every mutant (needs the kernel oracle)' })
    .option('safety-out', { type: 'string', describe: 'with --safety-only: write PREFIX.md and PREFIX.csv' }) as never,
  handler: async (a) => {
    positiveInt('mutants', a.mutants);
    positiveInt('seed', a.seed, 0);
    positiveInt('inputs', a.inputs);
    positiveInt('kernel-inputs', a['kernel-inputs'], 0);
    if (a['time-limit'] !== undefined) positiveInt('time-limit', a['time-limit']);
    if (a.rlimit !== undefined) positiveInt('rlimit', a.rlimit);
    if (a['query-ms'] !== undefined) positiveInt('query-ms', a['query-ms']);
    positiveInt('jobs', a.jobs);
    const shard = a.shard !== undefined ? shardArg(a.shard) : undefined;
    const dirs = a.programs ?? [k2SuitePrograms, builtinSuitePrograms, join(repoRoot, '..', 'shared', 'real-world', 'objs')];
    const corpus = loadCorpus(dirs);
    if (corpus.programs.length === 0) throw new InputError(`no programs found under ${dirs.join(', ')}`);
    if (a['safety-only']) {
      const why = kernelUnavailableReason();
      if (why) throw new InputError(`--safety-only needs the kernel oracle: ${why}`);
      const r = compareSafety(corpus.programs, corpus.skipped, { mutants: a.mutants, seed: a.seed, ...(a['time-limit'] !== undefined ? { timeLimitMs: a['time-limit'] * 1000 } : {}), progress: (l) => process.stderr.write(`${l}\n`) });
      const command = `k2lab ${process.argv.slice(2).join(' ')}`;
      if (a.json) writeFileAtomic(a.json, JSON.stringify({ command, ...r }, null, 2) + '\n', { mkdir: true });
      if (a['safety-out']) {
        writeFileAtomic(`${a['safety-out']}.md`, safetyMarkdown(r, command, gitCommit() ?? 'unknown'), { mkdir: true });
        writeFileAtomic(`${a['safety-out']}.csv`, safetyCsv(r), { mkdir: true });
      }
      process.stdout.write(`programs ${r.programs}, mutants ${r.mutants}: ${JSON.stringify(r.total)}\n`);
      for (const h of r.holes) process.stdout.write(`HOLE ${h.program} (${h.mutation}): kernel: ${h.kernel}\n`);
      if (r.holes.length > 0) process.exitCode = 1;
      return;
    }
    const impl = nativeAvailable() ? 'native-process' : 'reused-solver';
    const part = shard ? shardOf(corpus.programs, a.mutants, shard.index, shard.count) : { programs: corpus.programs, mutants: a.mutants };
    const report = a.jobs > 1 ? await runShards(a.jobs, dirs, a) : await runHarness(part.programs, shard && shard.index > 0 ? [] : corpus.skipped, {
      mutants: part.mutants, seed: a.seed, inputs: a.inputs, kernelInputs: a['kernel-inputs'], kernelVerdicts: a['kernel-verdicts'],
      ...(a['time-limit'] !== undefined ? { timeLimitMs: a['time-limit'] * 1000 } : {}),
      checkerFor: async (p) => {
        // Verdicts only (a refutation needs no counterexample here); with --query-ms each query gets its own deadline.
        let until: number | undefined;
        const c = createZ3Checker(p, { impl: withDeadline(await createZ3Impl(impl), () => until, { hardGraceMs: HARD_GRACE_MS }), cache: true, verdictOnly: true, ...(a.rlimit !== undefined ? { rlimit: a.rlimit } : {}) });
        const check = c.check.bind(c);
        c.check = (x, y, w) => { until = a['query-ms'] !== undefined ? Date.now() + a['query-ms'] : undefined; return check(x, y, w); };
        return c;
      },
      progress: (l) => process.stderr.write(`${l}\n`),
      ...(a.json && a.json !== '-' ? { checkpoint: (r: HarnessReport) => writeFileAtomic(a.json!, JSON.stringify({ command: process.argv.slice(2).join(' '), partial: true, ...r }, null, 2) + '\n', { mkdir: true }) } : {}),
    });
    const json = JSON.stringify({ command: process.argv.slice(2).join(' '), ...report }, null, 2) + '\n';
    if (a.json === '-') process.stdout.write(json);
    else {
      if (a.json) writeFileAtomic(a.json, json, { mkdir: true });
      process.stdout.write(summary(report) + '\n');
      for (const f of report.failures) process.stdout.write(`FAIL ${f.program} (${f.mutation}) ${f.disagreement.where}: ${f.disagreement.detail}\n  input ${f.disagreement.inputHex}\n  original ${f.original}\n  mutant   ${f.mutant}\n`);
      for (const d of report.safetyAcceptedKernelRejected.slice(0, 10)) process.stdout.write(`SAFETY ${d.program} (${d.mutation}): kernel: ${d.kernel}\n`);
    }
    if (report.disagreements > 0 || report.safetyAcceptedKernelRejected.length > 0) process.exitCode = 1;
  },
};
