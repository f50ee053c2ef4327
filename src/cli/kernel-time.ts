/**
 * `k2lab kernel-time A B`: in-kernel ns per run of two programs on the same generated inputs
 * (BPF_PROG_TEST_RUN's own timing), side by side, with the ratio B/A and its 95% CI.
 */
import type { CommandModule } from 'yargs';
import { loadProgram } from '../ebpf/load.js';
import { kernelTime } from '../kernel/timing.js';
import { withProgramFlags } from './common.js';

interface Args { a: string; b: string; 'prog-type'?: string; section?: string; repeat: number; packets: number; rounds: number; seed: number; json: boolean }

export const kernelTimeCommand: CommandModule<object, Args> = {
  command: 'kernel-time <a> <b>',
  describe: 'in-kernel ns per run of two programs on the same inputs (BPF_PROG_TEST_RUN), with the ratio B/A',
  builder: (y) => withProgramFlags(y)
    .positional('a', { type: 'string', demandOption: true, describe: 'baseline program' })
    .positional('b', { type: 'string', demandOption: true, describe: 'program compared with it (e.g. the optimized one)' })
    .option('repeat', { type: 'number', default: 10000, describe: "runs per test-run call (the kernel's loop)" })
    .option('packets', { type: 'number', default: 20, describe: 'generated packets, each timed' })
    .option('rounds', { type: 'number', default: 5, describe: 'interleaved rounds (A B, B A, …); the CI is over rounds' })
    .option('seed', { type: 'number', default: 1 })
    .option('json', { type: 'boolean', default: false })
    .example('$0 kernel-time ../shared/k2-suite/programs/xdp_fw best.insns --repeat 100000', '') as never,
  handler: (a) => {
    const flags = { progType: a['prog-type'], section: a.section };
    const r = kernelTime(loadProgram(a.a, flags), loadProgram(a.b, flags), { repeat: a.repeat, packets: a.packets, rounds: a.rounds, seed: a.seed });
    if (a.json) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return; }
    const w = Math.max(12, r.a.program.length, r.b.program.length);
    const row = (name: string, p: typeof r.a): string =>
      `${name} ${p.program.padEnd(w)} ${p.meanNs.toFixed(2).padStart(10)} ns/run   rounds: ${p.roundMeansNs.map((x) => x.toFixed(1)).join(' ')}`;
    const [lo, hi] = r.ratioCi95;
    const faster = lo <= 1 && hi >= 1 ? 'no significant difference at 95%'
      : r.ratio < 1 ? `B is ${(1 / r.ratio).toFixed(3)}× faster` : `B is ${r.ratio.toFixed(3)}× slower`;
    process.stdout.write([
      `in-kernel time: ${r.packets} packets × ${r.rounds} rounds × ${r.repeat} runs, CPU ${r.cpu}`,
      row('A', r.a), row('B', r.b),
      `B/A = ${r.ratio.toFixed(3)} (95% CI ${r.ratioCi95[0].toFixed(3)}–${r.ratioCi95[1].toFixed(3)}): ${faster}`,
    ].join('\n') + '\n');
  },
};
