/**
 * Do two programs that Z3 called equal behave the same? In the interpreter on many seeded inputs
 * (random full-size inputs and structured frames of every length, with random map contents and
 * environment values), and in the kernel (BPF_PROG_TEST_RUN on both, same packets, same seeded
 * maps) where the type can be test-run. The first disagreement comes back as a reproducer.
 */
import type { Insn } from '../ebpf/insn.js';
import { helperProto } from '../ebpf/helpers.js';
import { contextModelOf, defaultInputSize, type Program } from '../ebpf/program.js';
import type { RunInput } from '../interp/machine.js';
import { hex } from '../ebpf/hex.js';
import { Session, toRunnable } from '../interp/run.js';
import { generateInputs } from '../search/inputs.js';
import { captureOutput, outputError } from '../search/output-error.js';
import type { Rng } from '../common/rng.js';
import * as kernel from '../kernel/index.js';
import { generatePacket } from '../kernel/packets.js';
import { generateSeeds, seedsToJson, type MapSeeds } from '../kernel/seeds.js';
import { CallKind, Opcode } from '../ebpf/opcodes.js';

export interface Disagreement {
  where: 'interpreter' | 'kernel';
  inputHex: string;
  mapSeeds?: Record<string, Record<string, string>>;
  detail: string;
}

/** `n` interpreter inputs for the program: half K2-style random full-size, half structured frames of varied length. */
export function agreementInputs(p: Program, rng: Rng, n: number): RunInput[] {
  const model = contextModelOf(p.progType, p.k2InputType);
  const size = defaultInputSize(p);
  const base = generateInputs(p, rng, n);
  return base.map((input, k) => {
    const out: RunInput = { ...input, cpu: rng.int(4), timeNs: BigInt(rng.u32()) * 1000n, pidTgid: (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()) };
    if ((model === 'xdp' || model === 'skb') && k % 2 === 1 && size >= 14) out.packet = generatePacket(rng, { minLen: 14, maxLen: size }).packet;
    const seeds = generateSeeds(rng, p.maps);
    if (seeds) out.mapSeeds = seeds;
    return out;
  });
}

/** The first input on which B's observable output differs from A's (inputs where A fails are skipped). */
export function interpreterDisagreement(p: Program, a: readonly Insn[], b: readonly Insn[], inputs: readonly RunInput[]): Disagreement | undefined {
  const sa = new Session(toRunnable({ ...p, insns: a.map((x) => ({ ...x })) }));
  const sb = new Session(toRunnable({ ...p, insns: b.map((x) => ({ ...x })) }));
  for (const input of inputs) {
    if (!sa.run(input)) continue;
    const exp = captureOutput(sa.machine);
    const ok = sb.run(input);
    if (ok && outputError(sb.machine, exp, true, 1) === 0) continue;
    return {
      where: 'interpreter', inputHex: hex(input.packet),
      ...(input.mapSeeds ? { mapSeeds: seedsToJson(input.mapSeeds as MapSeeds, p.maps)! } : {}),
      detail: ok ? `outputs differ (A r0=${sa.result().r0}, B r0=${sb.result().r0}; env cpu=${input.cpu} time=${input.timeNs} randoms=${JSON.stringify(input.randoms)})` : `B fails where A does not: ${sb.result().error?.message}`,
    };
  }
  return undefined;
}

/** Why the kernel cannot compare this program's runs, or undefined when it can. */
export function kernelRefusal(p: Program): string | undefined {
  const why = kernel.kernelUnavailableReason();
  if (why) return why;
  if (!p.progType || !kernel.canTestRun(p.progType)) return `${p.progType ?? 'untyped'} programs cannot be test-run`;
  // Results taken from the environment (time, randomness, the CPU…) differ between two kernel runs.
  const env = p.insns.find((x) => x.op === Opcode.CALL && x.src === CallKind.HELPER && helperProto(x.imm)?.environment);
  if (env) return `calls bpf_${helperProto(env.imm)!.name} (its result comes from the environment)`;
  return undefined;
}

export type KernelVerdict = { accepted: true } | { accepted: false; reason: string };

/** The verifier's verdict on a program (the kernel oracle must be available). */
export function kernelVerdict(p: Program): KernelVerdict | { error: string } {
  let l: ReturnType<typeof kernel.loadProgram>;
  try {
    l = kernel.loadProgram(p, { logLevel: 1 });
  } catch (e) {
    return { error: (e as Error).message }; // e.g. the verifier's log overflowed: no verdict
  }
  if (!l.accepted) return { accepted: false, reason: l.reason };
  kernel.close(l);
  return { accepted: true };
}

/** Why the verifier cannot judge mutants of `p` (it cannot load or rejects the original), or undefined when it can. */
export function kernelRefusesOriginal(p: Program): string | undefined {
  const kv = kernelVerdict(p);
  if ('error' in kv) return `the kernel cannot judge it: ${kv.error}`;
  return kv.accepted ? undefined : `the kernel rejects the original: ${kv.reason}`;
}
