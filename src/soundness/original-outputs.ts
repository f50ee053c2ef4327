/**
 * The original's outputs on a fixed per-program input set, computed once and kept: every mutant of
 * that program called equal is then run on the same inputs and compared, instead of generating
 * 10,000 fresh inputs and re-running the original for each mutant (most of the interpreter share of
 * a long run). A set whose outputs would take more than a byte budget is not kept (the caller
 * generates per-mutant inputs as before).
 */
import type { Insn } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import { hex } from '../ebpf/hex.js';
import type { RunInput } from '../interp/machine.js';
import { Session, toRunnable } from '../interp/run.js';
import { captureOutput, outputError, type ExpectedOutput } from '../search/output-error.js';
import { seedsToJson, type MapSeeds } from '../kernel/seeds.js';
import type { Disagreement } from './agree.js';
import { mapWrites } from '../ebpf/map-writes.js';

export interface OriginalOutputs {
  inputs: readonly RunInput[];
  expected: readonly (ExpectedOutput | undefined)[];
  bytes: number;
  /** Maps the original cannot write (not captured: their contents after a run are the input's seeds). */
  readOnly: ReadonlySet<number>;
}

/** Indexes of the program's maps it cannot write (none when the analysis is unsure). */
export function readOnlyMaps(p: Program, insns: readonly Insn[]): Set<number> {
  const w = mapWrites({ ...p, insns: insns as Insn[] });
  return new Set(p.maps.map((_, i) => i).filter((i) => !w.written.has(i)));
}

const sizeOf = (e: ExpectedOutput): number =>
  64 + e.packet.length + (e.ctx?.length ?? 0) + e.maps.reduce((n, m) => n + m.bytes.length + m.entries.size * (m.valueSize + 64), 0);

/** An input's own bytes (its map seeds are hex strings: a 7,720-byte value seeds 15 KB per input). */
function inputBytes(input: RunInput): number {
  let n = 64 + input.packet.length;
  for (const entries of input.mapSeeds?.values() ?? []) for (const [k, v] of entries) n += 32 + k.length + v.length;
  return n;
}

/** The original's output on each input (undefined where it fails); undefined when over `maxBytes` (outputs and inputs). */
export function originalOutputs(p: Program, inputs: readonly RunInput[], maxBytes: number): OriginalOutputs | undefined {
  const s = new Session(toRunnable({ ...p, insns: p.insns.map((x) => ({ ...x })) }));
  const expected: (ExpectedOutput | undefined)[] = [];
  const readOnly = readOnlyMaps(p, p.insns);
  let bytes = 0;
  for (const input of inputs) {
    const e = s.run(input) ? captureOutput(s.machine, readOnly) : undefined;
    bytes += (e ? sizeOf(e) : 16) + inputBytes(input);
    if (bytes > maxBytes) return undefined;
    expected.push(e);
  }
  return { inputs, expected, bytes, readOnly };
}

/**
 * The first input on which B's output differs from the original's kept one; 'not comparable' when B
 * may write a map the original cannot (the kept outputs did not capture it: compare both runs afresh).
 */
export function disagreementWithOriginal(p: Program, b: readonly Insn[], o: OriginalOutputs): Disagreement | undefined | 'not comparable' {
  const bReadOnly = readOnlyMaps(p, b);
  for (const i of o.readOnly) if (!bReadOnly.has(i)) return 'not comparable';
  const sb = new Session(toRunnable({ ...p, insns: b.map((x) => ({ ...x })) }));
  for (let i = 0; i < o.inputs.length; i++) {
    const exp = o.expected[i], input = o.inputs[i]!;
    if (!exp) continue;
    const ok = sb.run(input);
    if (ok && outputError(sb.machine, exp, true, 1) === 0) continue;
    const r0a = BigInt.asIntN(64, (BigInt(exp.r0hi >>> 0) << 32n) | BigInt(exp.r0lo >>> 0));
    return {
      where: 'interpreter', inputHex: hex(input.packet),
      ...(input.mapSeeds ? { mapSeeds: seedsToJson(input.mapSeeds as MapSeeds, p.maps)! } : {}),
      detail: ok ? `outputs differ (A r0=${r0a}, B r0=${sb.result().r0}; env cpu=${input.cpu} time=${input.timeNs} randoms=${JSON.stringify(input.randoms)})` : `B fails where A does not: ${sb.result().error?.message}`,
    };
  }
  return undefined;
}
