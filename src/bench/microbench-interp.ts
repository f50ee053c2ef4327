/**
 * `k2lab microbench interp`: interpreted eBPF instructions per second on each program over a fixed
 * set of seeded random inputs (tinybench). One task per program; each task runs every input once.
 */
import { Bench } from 'tinybench';
import type { Program } from '../ebpf/program.js';
import { defaultInputSize } from '../ebpf/program.js';
import type { RunInput } from '../interp/machine.js';
import { Session, runProgram, toRunnable } from '../interp/run.js';
import { Rng } from '../common/rng.js';

export interface InterpBenchRow {
  program: string;
  inputs: number;
  /** Instructions executed per task iteration (all inputs once; deterministic). */
  insnsPerIteration: number;
  opsPerSecond: number;
  /** Relative margin of error of ops/s, percent (95%). */
  rmePercent: number;
  insnsPerSecond: number;
  samples: number;
}

export function randomInputs(p: Program, count: number, seed: number): RunInput[] {
  const rng = new Rng(seed);
  const size = defaultInputSize(p);
  return Array.from({ length: count }, () => ({ packet: rng.bytes(size), randoms: [rng.u32(), rng.u32()] }));
}

export async function benchInterpreter(programs: readonly Program[], opts: { inputs: number; seed: number; timeMs: number }): Promise<InterpBenchRow[]> {
  const bench = new Bench({ time: opts.timeMs, warmupTime: Math.min(200, opts.timeMs) });
  const perIteration = new Map<string, number>();
  for (const p of programs) {
    const r = toRunnable(p);
    const inputs = randomInputs(p, opts.inputs, opts.seed);
    perIteration.set(p.name, inputs.reduce((sum, i) => sum + runProgram(r, i).insnCount, 0));
    const session = new Session(r);
    bench.add(p.name, () => {
      for (let i = 0; i < inputs.length; i++) session.run(inputs[i]!);
    });
  }
  await bench.run();
  return bench.tasks.map((t) => {
    const res = t.result;
    if (res.state !== 'completed') throw new Error(`benchmark ${t.name} did not complete (${res.state})`);
    const n = perIteration.get(t.name)!;
    return {
      program: t.name, inputs: opts.inputs, insnsPerIteration: n,
      opsPerSecond: res.throughput.mean, rmePercent: res.throughput.rme,
      insnsPerSecond: res.throughput.mean * n, samples: res.throughput.samplesCount,
    };
  });
}
