/**
 * `k2lab verify A B`: whole-program equivalence of two programs with Z3 — equal, not equal (with the
 * canonical counterexample input and both programs' outputs on it, from the interpreter), or
 * unknown (with the reason) — and the time it took. `--window S:E` proves only the window: B must
 * equal A outside slots S…E, and the windows must leave the same live state (src/verify/window.ts).
 */
import type { CommandModule } from 'yargs';
import { InputError, inFile } from '../ebpf/errors.js';
import { loadProgram } from '../ebpf/load.js';
import { hex } from '../ebpf/hex.js';
import type { RunInput } from '../interp/machine.js';
import { formatResult, resultToJson, runProgram, toRunnable } from '../interp/run.js';
import { IMPLEMENTATIONS } from '../../variants/sets.js';
import { createChecker, defaultZ3Impl } from '../../variants/z3/index.js';
import type { EquivalenceResult } from '../search/equivalence.js';
import { withProgramFlags } from './common.js';

interface Args { a: string; b: string; window?: string; json: boolean; z3?: string; rlimit?: number; 'prog-type'?: string; section?: string }

export function inputToJson(i: RunInput): Record<string, unknown> {
  return {
    packetHex: hex(i.packet),
    ...(i.randoms ? { randoms: i.randoms } : {}),
    ...(i.ifindex !== undefined ? { ifindex: i.ifindex } : {}),
    ...(i.rxQueue !== undefined ? { rxQueue: i.rxQueue } : {}),
    ...(i.cpu !== undefined ? { cpu: i.cpu } : {}),
    ...(i.timeNs !== undefined ? { timeNs: i.timeNs.toString() } : {}),
    ...(i.pidTgid !== undefined ? { pidTgid: i.pidTgid.toString() } : {}),
    ...(i.r1 !== undefined ? { r1: i.r1.toString() } : {}),
    ...(i.r2 !== undefined ? { r2: i.r2.toString() } : {}),
    ...(i.mapSeeds ? { mapSeeds: Object.fromEntries([...i.mapSeeds].map(([fd, e]) => [fd, e])) } : {}),
  };
}

export const verifyCommand: CommandModule<object, Args> = {
  command: 'verify <a> <b>',
  describe: 'prove two programs equivalent with Z3, or show an input on which they differ',
  builder: (y) => withProgramFlags(y)
    .positional('a', { type: 'string', demandOption: true, describe: 'the original program (its maps and program type are used for both)' })
    .positional('b', { type: 'string', demandOption: true, describe: 'the rewritten program' })
    .option('window', { type: 'string', describe: 'S:E — window verification: B differs from A only in slots S…E; compare the live state where the windows end' })
    .option('json', { type: 'boolean', default: false, describe: 'print { result, ms, counterexample?, reason? }' })
    .option('z3', { type: 'string', choices: Object.keys(IMPLEMENTATIONS.z3), describe: 'z3 implementation (default: native-process when the z3 binary exists, else fresh-solver)' })
    .option('rlimit', { type: 'number', describe: 'Z3 resource limit per check (default 20000000)' })
    .example('$0 verify ../shared/k2-suite/programs/xdp_exception out/output0.insns', '') as never,
  handler: async (a) => {
    if (a.rlimit !== undefined && !(Number.isInteger(a.rlimit) && a.rlimit > 0)) throw new InputError(`--rlimit: expected a positive integer, got ${a.rlimit}`);
    const pa = loadProgram(a.a, { progType: a['prog-type'], section: a.section });
    const pb = loadProgram(a.b, { progType: a['prog-type'], section: a.section });
    const program = { ...pa };
    inFile(pa.source, () => toRunnable(pa));
    inFile(pb.source, () => toRunnable({ ...pa, insns: pb.insns }));
    const choice = IMPLEMENTATIONS.z3[a.z3 ?? defaultZ3Impl()]!;
    const window = a.window === undefined ? undefined : parseWindow(a.window, pa.insns.length);
    if (window && pb.insns.length !== pa.insns.length) throw new InputError(`--window: A has ${pa.insns.length} slots and B ${pb.insns.length}; a window rewrite keeps the length (NOPs fill removed slots)`);
    const checker = await createChecker(program, choice, a.rlimit);
    // A whole-program "equal" comes fastest from one non-incremental check; anything else (and every
    // window query) from check(), with its verdict and counterexample.
    const t0 = performance.now();
    const r: EquivalenceResult = !window && checker.provedEqual(pb.insns, pa.insns)
      ? { verdict: 'equal', ms: performance.now() - t0, cached: false }
      : checker.check(pb.insns, pa.insns, window ? { start: pa.insns, ...window } : undefined);
    const why = checker.last?.reason;
    checker.dispose();
    const result = r.verdict === 'equal' ? 'equal' : r.verdict === 'unknown' ? 'unknown' : 'not-equal';
    const ms = Math.round(r.ms * 100) / 100;
    const cx = r.counterexample;
    const outA = cx ? runProgram(toRunnable(pa), cx) : undefined;
    const outB = cx ? runProgram(toRunnable({ ...pa, insns: pb.insns }), cx) : undefined;
    if (a.json) {
      process.stdout.write(JSON.stringify({
        result, ms, checker: checker.name,
        ...(r.verdict === 'unsafe' ? { unsafe: true } : {}),
        ...(cx ? { counterexample: { input: inputToJson(cx), outputA: resultToJson(outA!), outputB: resultToJson(outB!) } } : {}),
        ...(result === 'unknown' && why ? { reason: why } : {}),
      }, null, 2) + '\n');
      return;
    }
    const lines = [`${result === 'equal' ? 'equal' : result === 'unknown' ? 'unknown' : r.verdict === 'unsafe' ? 'not equal: B fails where A does not' : 'not equal'} (${checker.name}, ${ms} ms)`];
    if (result === 'unknown' && why) lines.push(`reason: ${why}`);
    if (cx) {
      lines.push('counterexample input:', `  ${JSON.stringify(inputToJson(cx))}`, `output of A (${pa.source}):`, indent(formatResult(outA!)), `output of B (${pb.source}):`, indent(formatResult(outB!)));
    }
    process.stdout.write(lines.join('\n') + '\n');
  },
};

function parseWindow(text: string, len: number): { s: number; e: number } {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  if (!m) throw new InputError(`--window: expected S:E (slot numbers), got '${text}'`);
  const s = Number(m[1]), e = Number(m[2]);
  if (s > e || e >= len) throw new InputError(`--window ${text}: need S ≤ E < ${len} (the program's slot count)`);
  return { s, e };
}

function indent(s: string): string {
  return s.split('\n').map((l) => `  ${l}`).join('\n');
}
