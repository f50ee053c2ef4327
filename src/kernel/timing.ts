/**
 * In-kernel timing of two programs on the same inputs: BPF_PROG_TEST_RUN's own mean ns per run
 * (over `repeat` runs in the kernel's loop), after one discarded warm-up pass, in interleaved
 * rounds (A B, then B A, …) on one pinned CPU; per-program means and the ratio B/A with a 95%
 * confidence interval over rounds. (An XDP test run with repeat > 1 swaps the XDP dispatcher
 * twice: ≈ 25 ms per call, outside the timed loop.)
 */
import { InputError } from '../ebpf/errors.js';
import type { Program } from '../ebpf/program.js';
import { Rng } from '../common/rng.js';
import { allowedCpus, pinToCpu } from './ffi.js';
import { generatePacket } from './packets.js';
import { close, loadProgram, type Loaded } from './prog.js';
import { ETH_HLEN, canTestRun, testRun, testRunRefusal } from './testrun.js';

export interface TimingOptions {
  /** Runs per BPF_PROG_TEST_RUN call (the kernel's loop). */
  repeat: number;
  /** Generated packets (each timed separately, then averaged). */
  packets: number;
  rounds: number;
  seed: number;
  maxLen?: number;
}

export interface ProgramTiming {
  program: string;
  /** Mean ns per run over every packet and round. */
  meanNs: number;
  /** Mean ns per run of each round (averaged over packets). */
  roundMeansNs: number[];
}

export interface TimingReport {
  a: ProgramTiming;
  b: ProgramTiming;
  /** B's time over A's (below 1: B is faster), mean over rounds, with its 95% CI. */
  ratio: number;
  ratioCi95: [number, number];
  repeat: number;
  packets: number;
  rounds: number;
  cpu: number;
  seed: number;
}

export function kernelTime(pa: Program, pb: Program, opts: TimingOptions): TimingReport {
  for (const [k, v] of [['repeat', opts.repeat], ['packets', opts.packets], ['rounds', opts.rounds]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new InputError(`--${k}: expected a positive integer, got ${v}`);
  }
  const loaded: Loaded[] = [];
  try {
    for (const p of [pa, pb]) {
      const l = loadProgram(p);
      if (!l.accepted) throw new InputError(`${p.source}: rejected by the Linux verifier: ${l.reason}`);
      loaded.push(l);
      if (!canTestRun(l.progType)) throw new InputError(`${p.source}: ${l.progType} programs cannot be test-run by the kernel, so they cannot be timed`);
    }
    const [la, lb] = loaded as [Loaded, Loaded];
    const packets = inputs(la, lb, opts);
    const cpu = allowedCpus()[0] ?? 0;
    const unpin = pinToCpu(cpu);
    const sums: [number[], number[]] = [[], []];
    try {
      for (const packet of packets) for (const l of loaded) testRun(l, { packet, repeat: opts.repeat }); // warm-up, discarded
      for (let r = 0; r < opts.rounds; r++) {
        const order: (0 | 1)[] = r % 2 === 0 ? [0, 1] : [1, 0];
        const total = [0, 0];
        for (const packet of packets) {
          for (const which of order) total[which]! += testRun(loaded[which]!, { packet, repeat: opts.repeat }).durationNs;
        }
        sums[0].push(total[0]! / packets.length);
        sums[1].push(total[1]! / packets.length);
      }
    } finally {
      unpin();
    }
    const ratios = sums[0].map((a, i) => sums[1][i]! / a);
    const [lo, hi] = ci95(ratios);
    return {
      a: { program: pa.name, meanNs: mean(sums[0]), roundMeansNs: sums[0] },
      b: { program: pb.name, meanNs: mean(sums[1]), roundMeansNs: sums[1] },
      ratio: mean(ratios), ratioCi95: [lo, hi],
      repeat: opts.repeat, packets: packets.length, rounds: opts.rounds, cpu, seed: opts.seed,
    };
  } finally {
    for (const l of loaded) close(l);
  }
}

/** Packets both programs' test runs accept. */
function inputs(la: Loaded, lb: Loaded, opts: TimingOptions): Uint8Array[] {
  const rng = new Rng(opts.seed);
  const out: Uint8Array[] = [];
  for (let tries = 0; out.length < opts.packets && tries < opts.packets * 100; tries++) {
    const { packet } = generatePacket(rng, { minLen: ETH_HLEN, maxLen: opts.maxLen ?? 256 });
    if (!testRunRefusal(la.progType, packet) && !testRunRefusal(lb.progType, packet)) out.push(packet);
  }
  return out;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Two-sided 97.5% quantiles of Student's t for 1–30 degrees of freedom. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** 95% confidence interval of the mean (t distribution); one sample gives [x, x]. */
export function ci95(xs: readonly number[]): [number, number] {
  const m = mean(xs);
  if (xs.length < 2) return [m, m];
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
  const t = T975[xs.length - 2] ?? 1.96;
  const half = (t * sd) / Math.sqrt(xs.length);
  return [m - half, m + half];
}
