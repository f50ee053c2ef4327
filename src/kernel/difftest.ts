/**
 * Differential testing of the interpreter against the kernel: the same generated packets and the
 * same initial maps go to BPF_PROG_TEST_RUN and to the interpreter; r0, the output packet and the
 * data maps afterwards must agree. Each mismatch comes with a shrunk reproducer and both outputs.
 */
import { InputError } from '../ebpf/errors.js';
import { helperName } from '../ebpf/helpers.js';
import type { Program } from '../ebpf/program.js';
import { hex } from '../ebpf/hex.js';
import { Session, toRunnable, type MapSnapshot, type RunResult } from '../interp/run.js';
import { Rng } from '../common/rng.js';
import { allowedCpus, pinToCpu } from './ffi.js';
import { isDataMap } from './maps.js';
import { generateArgs, generatePacket, type PacketKind } from './packets.js';
import { TAIL_CALL_MARK, close, loadProgram, type Loaded } from './prog.js';
import { generateSeeds, seedsToJson, type MapSeeds } from './seeds.js';
import { releaseBatchBuffers, readMapsBatched } from './map-batch.js';
import { seedMaps, seededSnapshot } from './state.js';
import { mapWrites } from '../ebpf/map-writes.js';
import { finishedFlowKeys } from '../interp/flow-keys.js';
import { ARGS_CTX_BYTES, ETH_HLEN, MAX_TEST_PACKET, canTestRun, canTestRunArgs, canTestRunProgram, testRun, testRunArgs, testRunRefusal } from './testrun.js';

export interface DifftestOptions {
  inputs: number;
  seed: number;
  /** Longest generated packet (default 256). */
  maxLen?: number;
  /** Mismatches to report in full (each is shrunk first); default 5. */
  maxExamples?: number;
  /**
   * Count environment-dependent inputs that differ as mismatches too (for a kernel side whose
   * environment the input model reproduces); default false: they are reported apart.
   */
  strictEnvironment?: boolean;
  /** The program loaded into the kernel (default: the interpreted one; tests plant a difference with it). */
  kernelProgram?: Program;
  /** Read every map back after every input instead of only those the program can write (default false). */
  readAllMaps?: boolean;
}

export interface Outcome {
  r0: string;
  packetHex: string;
  maps: MapSnapshot[];
  tailCall?: number;
  error?: string;
}

export interface Mismatch {
  index: number;
  kind: PacketKind;
  /** What differs: `r0`, `packet`, `map NAME`, `interpreter error`. */
  differs: string[];
  inputHex: string;
  mapSeeds?: Record<string, Record<string, string>>;
  interpreter: Outcome;
  kernel: Outcome;
}

export interface DifftestReport {
  program: string;
  progType: string;
  /** Inputs run on both sides (0 when the kernel cannot test-run the type). */
  inputs: number;
  /** Mismatches among the inputs whose result does not depend on the environment model. */
  mismatches: number;
  /**
   * Inputs whose interpreter run called a helper answered by the environment model (time,
   * randomness, the current task, kernel memory, fib_lookup, …): the kernel answered from its own
   * state, so these are counted here (by helper) and not as mismatches; `environmentMismatches`
   * says how many of them differed.
   */
  environmentDependent: number;
  environmentHelpers: Record<string, number>;
  environmentMismatches: number;
  /** Generated packets the kernel's test run refuses, not counted in `inputs` (reason → count). */
  skipped: Record<string, number>;
  kernelTestRun: boolean;
  verifier: 'accepted';
  note?: string;
  seed: number;
  /** The CPU the test runs were pinned to (its per-CPU map values are compared). */
  cpu?: number;
  /** Maps read back from the kernel after each input (the others the program cannot write: they keep their seeds). */
  mapsReadBack?: string[];
  examples: Mismatch[];
}

/** Types whose test run consumed the Ethernet header: the kernel's output has it zeroed. */
const L3_TYPES = new Set(['socket_filter', 'cgroup_skb']);

interface Case { packet: Uint8Array; seeds: MapSeeds | undefined }

export function difftest(prog: Program, opts: DifftestOptions): DifftestReport {
  const maxLen = opts.maxLen ?? 256;
  if (!Number.isInteger(maxLen) || maxLen < ETH_HLEN || maxLen > MAX_TEST_PACKET) throw new InputError(`--max-len: expected ${ETH_HLEN}–${MAX_TEST_PACKET}, got ${maxLen}`);
  const loaded = loadProgram(opts.kernelProgram ?? prog, { tailCallMarkers: true, mmapLargeArrays: true });
  if (!loaded.accepted) throw new InputError(`${prog.source}: rejected by the Linux verifier: ${loaded.reason}`);
  const base = { program: prog.name, progType: loaded.progType, verifier: 'accepted' as const, seed: opts.seed };
  try {
    if (!canTestRunProgram({ progType: loaded.progType, ...(prog.section ? { section: prog.section } : {}) })) {
      const what = canTestRun(loaded.progType) ? `${prog.section} (devmap/cpumap) XDP` : loaded.progType;
      return { ...base, inputs: 0, mismatches: 0, environmentDependent: 0, environmentHelpers: {}, environmentMismatches: 0, skipped: {}, kernelTestRun: false, examples: [],
        note: `${what} programs cannot be test-run by the kernel: verifier-checked only (accepted)` };
    }
    const cpu = allowedCpus()[0] ?? 0;
    const unpin = pinToCpu(cpu);
    try {
      return { ...base, ...compareAll(prog, loaded, cpu, opts, maxLen), kernelTestRun: true, cpu };
    } finally {
      unpin();
    }
  } finally {
    releaseBatchBuffers(loaded);
    close(loaded);
  }
}

type Compared = Pick<DifftestReport, 'inputs' | 'mismatches' | 'skipped' | 'examples' | 'environmentDependent' | 'environmentHelpers' | 'environmentMismatches' | 'mapsReadBack'>;

/**
 * Every this many kernel runs (and on the first), all maps are read back and the ones the analysis
 * says the program cannot write must still hold their seeds: a check of the analysis in every run.
 */
const FULL_READ_EVERY = 500;

function compareAll(prog: Program, loaded: Loaded, cpu: number, opts: DifftestOptions, maxLen: number): Compared {
  const session = new Session(toRunnable(prog));
  const rng = new Rng(opts.seed);
  const args = canTestRunArgs(loaded.progType);
  const written = opts.readAllMaps ? undefined : mapWrites(opts.kernelProgram ?? prog).written;
  let now: MapSnapshot[] | undefined;
  let runs = 0;
  // The kernel's maps after a run: the ones the program may write are read, the others hold their seeds.
  const readBack = (seeds: MapSeeds | undefined): MapSnapshot[] => {
    if (!written) return readMapsBatched(loaded, cpu);
    const known = loaded.maps.map((m, i) => (written.has(i) ? undefined : seededSnapshot(m, seeds?.get(m.def.fd) ?? [])));
    if (runs++ % FULL_READ_EVERY !== 0) return readMapsBatched(loaded, cpu, known);
    const all = readMapsBatched(loaded, cpu);
    known.forEach((k, i) => {
      if (k && entriesKey(k) !== entriesKey(all[i])) {
        throw new Error(`map '${k.name}' changed in the kernel run though the map-write analysis says ${prog.name} cannot write it (a bug in src/analysis/map-writes.ts)`);
      }
    });
    return all;
  };
  // One comparison; leaves the kernel's maps snapshot in `now` for the next reset.
  const check = (c: Case): { interpreter: Outcome; kernel: Outcome; differs: string[] } => {
    seedMaps(loaded, c.seeds, now);
    // Raw tracepoints: the input is the u64 arguments; their context is read-only, so it comes back as it went in.
    const k = args ? { r0: testRunArgs(loaded, c.packet), packet: c.packet } : testRun(loaded, { packet: c.packet });
    now = readBack(c.seeds);
    session.run({ packet: c.packet, cpu, ...(c.seeds ? { mapSeeds: c.seeds } : {}) });
    const res = session.result();
    // A flow dissector's test run returns its flow keys (clamped as the kernel does) instead of the packet.
    const keys = session.machine.flowKeys;
    if (keys) res.packet = finishedFlowKeys(keys.bytes, c.packet.length);
    const kernel: Outcome = { r0: k.r0.toString(), packetHex: hex(L3_TYPES.has(loaded.progType) ? k.packet.subarray(ETH_HLEN) : k.packet), maps: dataMaps(prog, now) };
    const interpreter = outcome(prog, res);
    return { interpreter, kernel, differs: differences(interpreter, kernel) };
  };
  const maxExamples = opts.maxExamples ?? 5;
  const examples: Mismatch[] = [];
  const skipped: Record<string, number> = {};
  let mismatches = 0, environmentDependent = 0, environmentMismatches = 0;
  const environmentHelpers: Record<string, number> = {};
  // Draw until `inputs` packets were compared: the ones the kernel refuses are counted aside.
  for (let i = 0; i < opts.inputs;) {
    const { packet, kind } = args ? generateArgs(rng, ARGS_CTX_BYTES / 8) : generatePacket(rng, { minLen: ETH_HLEN, maxLen });
    const c: Case = { packet, seeds: generateSeeds(rng, prog.maps) };
    const refusal = testRunRefusal(loaded.progType, packet);
    if (refusal) { skipped[refusal] = (skipped[refusal] ?? 0) + 1; continue; }
    i++;
    const differs = check(c).differs.length > 0;
    const env = session.machine.environmentUsed;
    if (env.length > 0) {
      environmentDependent++;
      for (const id of env) environmentHelpers[helperName(id)] = (environmentHelpers[helperName(id)] ?? 0) + 1;
      if (differs) environmentMismatches++;
      if (!opts.strictEnvironment) continue;
    }
    if (!differs) continue;
    mismatches++;
    if (examples.length >= maxExamples) continue;
    const small = shrink(c, (x) => check(x).differs.length > 0, (p) => testRunRefusal(loaded.progType, p) !== undefined);
    const r = check(small);
    examples.push({ index: i - 1, kind, differs: r.differs, inputHex: hex(small.packet), ...(small.seeds ? { mapSeeds: seedsToJson(small.seeds, prog.maps)! } : {}), interpreter: r.interpreter, kernel: r.kernel });
  }
  const mapsReadBack = loaded.maps.filter((m, i) => isDataMap(m.def.type) && (!written || written.has(i))).map((m) => m.def.name);
  return { inputs: opts.inputs, mismatches, environmentDependent, environmentHelpers, environmentMismatches, skipped, examples, mapsReadBack };
}

/** The interpreter's result in the kernel's terms: a 32-bit r0, a taken tail call as its marker. */
function outcome(prog: Program, res: RunResult): Outcome {
  const tail = res.sideEffects.tailCall?.index;
  const r0 = tail !== undefined ? BigInt(TAIL_CALL_MARK + tail) : BigInt.asUintN(32, res.r0);
  return {
    r0: r0.toString(), packetHex: hex(res.packet), maps: dataMaps(prog, res.maps),
    ...(tail !== undefined ? { tailCall: tail } : {}),
    ...(res.error ? { error: `${res.error.kind} at instruction ${res.error.pc}: ${res.error.message}` } : {}),
  };
}

/** The program's own data maps (the interpreter lists inner map instances after them: not compared). */
function dataMaps(prog: Program, maps: readonly MapSnapshot[]): MapSnapshot[] {
  return maps.filter((_, i) => i < prog.maps.length && isDataMap(prog.maps[i]!.type));
}

function differences(a: Outcome, b: Outcome): string[] {
  const out: string[] = [];
  if (a.error) out.push('interpreter error');
  if (a.r0 !== b.r0) out.push('r0');
  if (a.packetHex !== b.packetHex) out.push('packet');
  a.maps.forEach((m, i) => {
    if (entriesKey(m) !== entriesKey(b.maps[i])) out.push(`map ${m.name}`);
  });
  return out;
}

/** A map's contents as one comparable string, in key order (the kernel lists arrays by index, the interpreter's sparse arrays by key). */
function entriesKey(m: MapSnapshot | undefined): string {
  if (!m) return '';
  return JSON.stringify([...m.entries].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)));
}

/**
 * A smaller input that still mismatches: without map seeds if possible, then with a shorter
 * packet (never below the Ethernet header), then with as many bytes zeroed as possible.
 */
function shrink(c: Case, mismatches: (c: Case) => boolean, refused: (p: Uint8Array) => boolean): Case {
  const fails = (x: Case): boolean => !refused(x.packet) && mismatches(x);
  let best = c;
  if (best.seeds && fails({ packet: best.packet, seeds: undefined })) best = { packet: best.packet, seeds: undefined };
  for (let cut = best.packet.length >> 1; cut >= 1; cut >>= 1) {
    while (best.packet.length - cut >= ETH_HLEN && fails({ ...best, packet: best.packet.slice(0, best.packet.length - cut) })) {
      best = { ...best, packet: best.packet.slice(0, best.packet.length - cut) };
    }
  }
  for (let i = 0; i < best.packet.length; i++) {
    if (best.packet[i] === 0) continue;
    const p = best.packet.slice();
    p[i] = 0;
    if (fails({ ...best, packet: p })) best = { ...best, packet: p };
  }
  return best;
}
