/**
 * Helper calls as the kernel's verifier checks them, from the helper table's prototypes
 * (src/ebpf/helpers.ts): known ids only; per argument its kind — numbers, map handles of a type the
 * helper takes, the unmodified context pointer, initialised memory of the declared size (a bounded
 * size argument), memory the helper writes (may be uninitialised; initialised after the call); then
 * the call's effect — r1–r5 unreadable, packet pointers invalid after helpers that change the
 * packet, r0 by the return kind (map value or NULL until null-checked; nothing after a tail call
 * that returns or a void helper). Argument kinds we do not track (ring-buffer records, spin locks,
 * BTF pointers) are rejected: erring on the safe side.
 */
import type { Insn } from '../ebpf/insn.js';
import { helperProto, type HelperArg, type HelperProto } from '../ebpf/helpers.js';
import { MAP_TYPES } from '../ebpf/program.js';
import { Violation } from '../ebpf/violations.js';
import type { Core } from './core.js';
import { Access, access } from './memory.js';
import { AUX, KIND, Kind, OFF, SYM, highOf, invalidatePacket, isScalarKind, lowOf, setReg, symbolId } from './types.js';

const M = MAP_TYPES;
/** Maps whose values programs read and write through lookup/update/delete. */
const DATA_MAPS = new Set<number>([M.hash, M.array, M.percpu_hash, M.percpu_array, M.lru_hash, M.lru_percpu_hash]);
/** Map types each helper with a map argument accepts (the kernel's check_map_func_compatibility). */
const MAP_ARG_TYPES: ReadonlyMap<number, ReadonlySet<number>> = new Map<number, ReadonlySet<number>>([
  [1, new Set([...DATA_MAPS, M.devmap, M.devmap_hash, M.cpumap])], // lookup also reads these (read-only values)
  [2, DATA_MAPS], [3, DATA_MAPS],
  [12, new Set([M.prog_array])],
  [22, new Set([M.perf_event_array])], [25, new Set([M.perf_event_array])],
  [51, new Set([M.devmap, M.devmap_hash, M.cpumap, M.xskmap])],
  [27, new Set([7 /* stack_trace */])], [37, new Set([8 /* cgroup_array */])],
  [130, new Set([M.ringbuf])], [131, new Set([M.ringbuf])], [134, new Set([M.ringbuf])],
]);
/** The largest size argument we accept (the kernel bounds it by the memory it describes). */
const MAX_SIZE = 0xffff;

const fail = (c: Core, code: Violation, pc: number, why: string): Violation => c.errors.fail(code, pc, why);

function readable(c: Core, r: number, pc: number, helper: string): Violation {
  return c.st.regReadable(r) ? Violation.None : fail(c, Violation.UnreadableRegister, pc, `${helper}: r${r} is not initialised`);
}

/** Map index held by r (a map handle of a type the helper takes), or a negated Violation. */
function mapArg(c: Core, r: number, id: number, pc: number, helper: string): number {
  const v = readable(c, r, pc, helper);
  if (v !== Violation.None) return -v;
  if (c.t[KIND + r] !== Kind.MapPtr) return -fail(c, Violation.HelperArgument, pc, `${helper}: r${r} is not a map`);
  const m = c.t[AUX + r]!;
  if (!MAP_ARG_TYPES.get(id)?.has(c.info.mapType[m]!)) return -fail(c, Violation.HelperArgument, pc, `${helper}: map ${m} has the wrong type for this helper`);
  return m;
}

function ctxArg(c: Core, r: number, pc: number, helper: string): Violation {
  const v = readable(c, r, pc, helper);
  if (v !== Violation.None) return v;
  const t = c.t;
  if (t[KIND + r] !== Kind.Ctx || t[SYM + r] !== 0 || t[OFF + r] !== 0) return fail(c, Violation.HelperArgument, pc, `${helper}: r${r} must be the context pointer`);
  return Violation.None;
}

function numArg(c: Core, r: number, pc: number, helper: string): Violation {
  const v = readable(c, r, pc, helper);
  if (v !== Violation.None) return v;
  if (!isScalarKind(c.t[KIND + r]! as Kind)) return fail(c, Violation.HelperArgument, pc, `${helper}: r${r} must be a number`);
  return Violation.None;
}

/** The largest value of a size argument (a bounded number), or a negated Violation. */
function sizeArg(c: Core, r: number, a: HelperArg, pc: number, helper: string): number {
  const t = c.t;
  if (!c.st.regReadable(r)) return -fail(c, Violation.UnreadableRegister, pc, `${helper}: r${r} is not initialised`);
  if (t[KIND + r] !== Kind.Const) return -fail(c, Violation.HelperArgument, pc, `${helper}: r${r} must be a known size`);
  const lo = lowOf(c.syms, t[SYM + r]!, t[OFF + r]!), hi = highOf(c.syms, t[SYM + r]!, t[OFF + r]!);
  if (lo < (a.zeroOk ? 0 : 1) || hi > MAX_SIZE) return -fail(c, Violation.HelperArgument, pc, `${helper}: size ${lo}…${hi} out of range`);
  return hi;
}

/** A memory argument: `size` bytes at r, read (initialised), written (may be uninitialised) or both. */
function memArg(c: Core, p: HelperProto, i: number, pc: number, helper: string): Violation {
  const a = p.args[i]!, r = i + 1;
  let size: number;
  if (a.size && 'bytes' in a.size) size = a.size.bytes;
  else if (a.size) {
    const sr = a.size.arg + 1;
    size = sizeArg(c, sr, p.args[a.size.arg]!, pc, helper);
    if (size < 0) return -size;
  } else return fail(c, Violation.HelperArgument, pc, `${helper}: r${r} has no size`);
  const t = c.t;
  if (a.nullable && c.st.regReadable(r) && t[KIND + r] === Kind.Const && t[SYM + r] === 0 && t[OFF + r] === 0) return Violation.None;
  if (size === 0) return readable(c, r, pc, helper);
  const mode = a.kind === 'mem-read' ? Access.HelperRead : a.kind === 'mem-write' ? Access.HelperWrite : Access.HelperReadWrite;
  return access(c, r, 0, size, mode, pc);
}

/** Checks a helper call at `pc` and applies its effect on the registers. */
export function checkCall(c: Core, ins: Insn, pc: number): Violation {
  const id = ins.imm;
  const p = helperProto(id);
  if (!p) return fail(c, Violation.UnknownHelper, pc, `unknown helper ${id}`);
  const helper = `bpf_${p.name}`;
  if (id === 44 && c.info.model !== 'xdp') return fail(c, Violation.HelperArgument, pc, 'xdp_adjust_head is for XDP programs only');
  let m = -1;
  for (let i = 0; i < p.args.length; i++) {
    const a = p.args[i]!, r = i + 1;
    let v = Violation.None;
    switch (a.kind) {
      case 'scalar': v = numArg(c, r, pc, helper); break;
      case 'anything': v = readable(c, r, pc, helper); break;
      case 'dontcare': break; // the kernel does not look at it either
      case 'size': break; // checked with its memory argument
      case 'map': { const x = mapArg(c, r, id, pc, helper); if (x < 0) return -x; m = x; break; }
      case 'map-key': v = m < 0 ? fail(c, Violation.HelperArgument, pc, `${helper}: key without a map`) : access(c, r, 0, c.info.keySize[m]!, Access.HelperRead, pc); break;
      case 'map-value': v = m < 0 ? fail(c, Violation.HelperArgument, pc, `${helper}: value without a map`) : access(c, r, 0, c.info.valueSize[m]!, Access.HelperRead, pc); break;
      case 'ctx': v = ctxArg(c, r, pc, helper); break;
      case 'mem-read': case 'mem-write': case 'mem-read-write': v = memArg(c, p, i, pc, helper); break;
      default: v = fail(c, Violation.HelperArgument, pc, `${helper}: ${a.kind} arguments are not checked (rejected)`);
    }
    if (v !== Violation.None) return v;
  }
  const st = c.st, t = c.t;
  for (let r = 1; r <= 5; r++) {
    st.setRegReadable(r, false);
    setReg(t, r, Kind.Scalar, 0, 0, 0);
  }
  if (p.changesPacket) invalidatePacket(t, st);
  // A tail call that returns (index out of range) leaves r0 as it was: the kernel marks it uninitialised.
  st.setRegReadable(0, id !== 12 && p.ret !== 'void');
  if (p.ret === 'map-value-or-null') setReg(t, 0, Kind.MapValueOrNull, -symbolId(pc, 0), 0, m);
  else if (p.ret === 'integer' || p.ret === 'void') setReg(t, 0, Kind.Scalar, 0, 0, 0);
  else setReg(t, 0, Kind.Mixed, 0, 0, 0); // a record or kernel pointer we do not track: readable, never usable
  return Violation.None;
}
