/**
 * Running a program on one input and collecting its observable output: r0, the final packet,
 * every map's contents and helper side effects (tail call, redirect, perf output), or a typed
 * execution error. This is what the optimizer compares and what `k2lab run` prints.
 */
import { contextLayout } from '../ebpf/contexts.js';
import { InputError } from '../ebpf/errors.js';
import { contextModelOf, defaultInputSize, mapTypeName, type ContextModel, type MapDef, type Program } from '../ebpf/program.js';
import { ExecFault, type ExecError } from './fault.js';
import { KERNEL_HELPERS, type HelperTable } from './helpers.js';
import { FaultAt, execute, prepare, type PreparedCode } from './interpreter.js';
import { Machine, getReg, type MachineSnapshot, type ProgKind, type RunInput, type SideEffects } from './machine.js';
import { hex, isSupportedMapType, mapTypeLabel } from './maps.js';
import { enableProbeLoads } from './helpers-trace.js';
import { MemoryFault } from './memory.js';
import { Opcode, Pseudo } from '../ebpf/opcodes.js';

export const DEFAULT_MAX_INSNS = 1_000_000;

/** A program ready to run many times. */
export interface Runnable {
  name: string;
  code: PreparedCode;
  maps: readonly MapDef[];
  model: ContextModel;
  progKind: ProgKind;
  /** Model 'raw': context bytes the program type's layout has (the input is zero-padded to it). */
  ctxSize?: number;
}

export interface RunOptions {
  maxInsns?: number;
  helpers?: HelperTable;
}

export interface MapSnapshot {
  name: string;
  fd: number;
  type: string;
  entries: { key: string; value: string }[];
}

export interface RunResult {
  r0: bigint;
  packet: Uint8Array;
  maps: MapSnapshot[];
  sideEffects: SideEffects;
  insnCount: number;
  error?: ExecError;
}

export function toRunnable(p: Program, model?: ContextModel): Runnable {
  for (const m of p.maps) {
    if (!isSupportedMapType(m.type)) throw new InputError(`map '${m.name}': map type ${mapTypeLabel(m.type)} is not supported by the interpreter`);
  }
  const fds = new Set(p.maps.map((m) => m.fd));
  p.insns.forEach((ins, i) => {
    if (ins.op === Opcode.LDDW && (ins.src === Pseudo.MAP_FD || ins.src === Pseudo.MAP_VALUE) && !fds.has(ins.imm) && (i === 0 || p.insns[i - 1]!.op !== Opcode.LDDW)) {
      throw new InputError(`instruction ${i}: map reference to fd ${ins.imm}, but the program has ${p.maps.length === 0 ? 'no maps' : `maps with fd ${[...fds].join(', ')}`}`);
    }
  });
  const progKind: ProgKind = p.progType === 'xdp' ? 'xdp' : p.progType === 'sched_cls' || p.progType === 'sched_act' ? 'tc' : p.progType === 'flow_dissector' ? 'flow' : 'other';
  const m = model ?? contextModelOf(p.progType, p.k2InputType);
  // K2's programs keep their input size as the context; programs of a known kernel type get the layout's.
  // (the same size the verifier's encoding and the input generator use: defaultInputSize).
  const ctxSize = m === 'raw' && p.k2InputType === undefined && p.maxPktSize === undefined && p.progType !== undefined ? contextLayout(p.progType).size : 0;
  return { name: p.name, code: prepare(p.insns), maps: p.maps, model: m, progKind, ...(ctxSize ? { ctxSize } : {}) };
}

/** A zero-filled input of the program type's default size. */
export function defaultInput(p: Program): RunInput {
  return { packet: new Uint8Array(defaultInputSize(p)) };
}

/**
 * A reusable execution context for one program: the machine's regions and maps are allocated once
 * and reset per input, so the hot path (many inputs, many candidates) allocates nothing.
 */
export class Session {
  readonly machine: Machine;
  private readonly helpers: HelperTable;
  private readonly maxInsns: number;
  /** The last run's execution error, if any. */
  error: ExecError | undefined;
  /** The code to run: the runnable's, or a candidate's swapped in by the search. */
  code: PreparedCode;

  constructor(readonly runnable: Runnable, opts: RunOptions = {}) {
    this.code = runnable.code;
    this.machine = new Machine(runnable.model, runnable.progKind, runnable.maps, runnable.ctxSize);
    // Tracing programs of a known kernel type may load through BTF pointers (probe reads in the kernel).
    if (runnable.ctxSize) enableProbeLoads(this.machine);
    this.helpers = opts.helpers ?? KERNEL_HELPERS;
    this.maxInsns = opts.maxInsns ?? DEFAULT_MAX_INSNS;
  }

  /** Runs on one input; returns false on an execution error (see `error`). */
  run(input: RunInput): boolean {
    this.machine.reset(input);
    return this.go(0);
  }

  /** Runs from slot `startPc` on a restored mid-run state (window mode); like `run`. */
  runFrom(snap: MachineSnapshot, startPc: number): boolean {
    this.machine.restore(snap);
    return this.go(startPc);
  }

  private go(startPc: number): boolean {
    const m = this.machine;
    this.error = undefined;
    try {
      const c = this.code;
      // A dispatch variant may bring its own runner (variants/dispatch/compiled.ts); same contract.
      if (c.run !== undefined) c.run(m, this.helpers, this.maxInsns, startPc);
      else execute(m, c, this.helpers, this.maxInsns, startPc);
      return true;
    } catch (e) {
      if (!(e instanceof FaultAt)) throw e;
      const f = e.fault;
      if (f instanceof ExecFault) this.error = { kind: f.kind, message: f.message, pc: e.pc };
      else if (f instanceof MemoryFault) this.error = { kind: 'memory', message: f.message, pc: e.pc };
      else throw f; // a bug in the interpreter, not an execution error
      return false;
    }
  }

  /** The full observable output of the last run (allocates: for reports, not the hot path). */
  result(): RunResult {
    const m = this.machine;
    return {
      r0: getReg(m, 0),
      packet: m.packetBytes(),
      maps: m.maps.map((s) => ({ name: s.def.name, fd: s.def.fd, type: mapTypeName(s.def.type), entries: s.entries().map((e) => ({ key: e.keyHex, value: e.valueHex })) })),
      sideEffects: m.sideEffects,
      insnCount: m.insnCount,
      ...(this.error ? { error: this.error } : {}),
    };
  }
}

/** One run on a fresh machine, with the full output. */
export function runProgram(r: Runnable, input: RunInput, opts: RunOptions = {}): RunResult {
  const s = new Session(r, opts);
  s.run(input);
  return s.result();
}

/** The JSON shape of DESIGN.md §6: `{ r0, packetHex, maps, sideEffects, error? }`. */
export function resultToJson(res: RunResult): Record<string, unknown> {
  return {
    r0: res.r0.toString(),
    packetHex: hex(res.packet),
    maps: res.maps,
    sideEffects: res.sideEffects,
    insnCount: res.insnCount,
    ...(res.error ? { error: res.error } : {}),
  };
}

/** Human-readable output of one run. */
export function formatResult(res: RunResult): string {
  const lines: string[] = [];
  if (res.error) lines.push(`error: ${res.error.kind} at instruction ${res.error.pc}: ${res.error.message}`);
  lines.push(`r0 = ${res.r0} (0x${res.r0.toString(16)})`);
  lines.push(`packet (${res.packet.length} bytes): ${hex(res.packet) || '(empty)'}`);
  for (const m of res.maps) {
    lines.push(`map ${m.name} (fd ${m.fd}, ${m.type}): ${m.entries.length === 0 ? '(empty)' : ''}`);
    for (const e of m.entries) lines.push(`  ${e.key} => ${e.value}`);
  }
  const se = res.sideEffects;
  if (se.tailCall) lines.push(`tail call: prog array fd ${se.tailCall.mapFd}, index ${se.tailCall.index}`);
  if (se.redirect) lines.push(`redirect: ${JSON.stringify(se.redirect)}`);
  for (const p of se.perfOutputs ?? []) lines.push(`perf output: ${p}`);
  for (const t of se.trace ?? []) lines.push(`trace: ${JSON.stringify(t)}`);
  for (const k of se.tunnelKeys ?? []) lines.push(`tunnel key: ${k}`);
  lines.push(`instructions executed: ${res.insnCount}`);
  return lines.join('\n');
}
