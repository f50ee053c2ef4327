/**
 * Helper calls: known ids only, argument kinds per helper (map handles of a fitting map type,
 * context, initialised stack/map/packet buffers of the right size, numbers), then the call's effect
 * on registers — r1–r5 clobbered, r0 a number (map_lookup: value-or-NULL; tail_call: nothing).
 */
import type { Insn } from '../ebpf/insn.js';
import { MAP_TYPES } from '../ebpf/program.js';
import { HELPER_IDS as H } from '../interp/helpers.js';
import { Violation } from '../ebpf/violations.js';
import type { Core } from './core.js';
import { Access, access } from './memory.js';
import { AUX, KIND, Kind, OFF, SYM, highOf, invalidatePacket, isScalarKind, lowOf, setReg, symbolId } from './types.js';

const M = MAP_TYPES;
/** Maps whose values programs read and write through lookup/update/delete. */
const DATA_MAPS = new Set<number>([M.hash, M.array, M.percpu_hash, M.percpu_array, M.lru_hash, M.lru_percpu_hash]);
/** Lookup also works on these (read-only values). */
const LOOKUP_MAPS = new Set<number>([...DATA_MAPS, M.devmap, M.devmap_hash, M.cpumap]);
const REDIRECT_MAPS = new Set<number>([M.devmap, M.devmap_hash, M.cpumap, M.xskmap]);
const PROG_ARRAYS = new Set<number>([M.prog_array]);
const PERF_ARRAYS = new Set<number>([M.perf_event_array]);

/** Map index held by r (a map handle of an allowed type), or a negated Violation. */
function mapArg(c: Core, r: number, allowed: ReadonlySet<number>, pc: number, helper: string): number {
  if (!c.st.regReadable(r)) return -c.errors.fail(Violation.UnreadableRegister, pc, `${helper}: r${r} is not initialised`);
  if (c.t[KIND + r] !== Kind.MapPtr) return -c.errors.fail(Violation.HelperArgument, pc, `${helper}: r${r} is not a map`);
  const m = c.t[AUX + r]!;
  if (!allowed.has(c.info.mapType[m]!)) return -c.errors.fail(Violation.HelperArgument, pc, `${helper}: map ${m} has the wrong type for this helper`);
  return m;
}

function ctxArg(c: Core, r: number, pc: number, helper: string): Violation {
  if (!c.st.regReadable(r)) return c.errors.fail(Violation.UnreadableRegister, pc, `${helper}: r${r} is not initialised`);
  const t = c.t;
  if (t[KIND + r] !== Kind.Ctx || t[SYM + r] !== 0 || t[OFF + r] !== 0) return c.errors.fail(Violation.HelperArgument, pc, `${helper}: r${r} must be the context pointer`);
  return Violation.None;
}

function numArg(c: Core, r: number, pc: number, helper: string): Violation {
  if (!c.st.regReadable(r)) return c.errors.fail(Violation.UnreadableRegister, pc, `${helper}: r${r} is not initialised`);
  if (!isScalarKind(c.t[KIND + r]! as Kind)) return c.errors.fail(Violation.HelperArgument, pc, `${helper}: r${r} must be a number`);
  return Violation.None;
}

/** Buffer argument: `size` initialised bytes at r (stack, map value or proven packet). */
function bufArg(c: Core, r: number, size: number, pc: number): Violation {
  return access(c, r, 0, size, Access.HelperRead, pc);
}

/** Checks a helper call at `pc` and applies its effect on the registers. */
export function checkCall(c: Core, ins: Insn, pc: number): Violation {
  const id = ins.imm;
  let v: Violation = Violation.None;
  let m = -1;
  switch (id) {
    case H.map_lookup_elem: case H.map_delete_elem: {
      m = mapArg(c, 1, id === H.map_lookup_elem ? LOOKUP_MAPS : DATA_MAPS, pc, 'map helper');
      if (m < 0) return -m;
      v = bufArg(c, 2, c.info.keySize[m]!, pc);
      break;
    }
    case H.map_update_elem: {
      m = mapArg(c, 1, DATA_MAPS, pc, 'map_update_elem');
      if (m < 0) return -m;
      v = bufArg(c, 2, c.info.keySize[m]!, pc);
      if (v === Violation.None) v = bufArg(c, 3, c.info.valueSize[m]!, pc);
      if (v === Violation.None) v = numArg(c, 4, pc, 'map_update_elem');
      break;
    }
    case H.ktime_get_ns: case H.get_prandom_u32: case H.get_smp_processor_id: case H.get_current_pid_tgid:
      break;
    case H.tail_call: {
      v = ctxArg(c, 1, pc, 'tail_call');
      if (v !== Violation.None) return v;
      m = mapArg(c, 2, PROG_ARRAYS, pc, 'tail_call');
      if (m < 0) return -m;
      v = numArg(c, 3, pc, 'tail_call');
      break;
    }
    case H.redirect:
      v = numArg(c, 1, pc, 'redirect');
      if (v === Violation.None) v = numArg(c, 2, pc, 'redirect');
      break;
    case H.perf_event_output: {
      v = ctxArg(c, 1, pc, 'perf_event_output');
      if (v !== Violation.None) return v;
      m = mapArg(c, 2, PERF_ARRAYS, pc, 'perf_event_output');
      if (m < 0) return -m;
      v = numArg(c, 3, pc, 'perf_event_output');
      if (v === Violation.None) v = perfSize(c, pc);
      break;
    }
    case H.xdp_adjust_head:
      if (c.info.model !== 'xdp') return c.errors.fail(Violation.HelperArgument, pc, 'xdp_adjust_head is for XDP programs only');
      v = ctxArg(c, 1, pc, 'xdp_adjust_head');
      if (v === Violation.None) v = numArg(c, 2, pc, 'xdp_adjust_head');
      break;
    case H.redirect_map:
      m = mapArg(c, 1, REDIRECT_MAPS, pc, 'redirect_map');
      if (m < 0) return -m;
      v = numArg(c, 2, pc, 'redirect_map');
      if (v === Violation.None) v = numArg(c, 3, pc, 'redirect_map');
      break;
    default:
      return c.errors.fail(Violation.UnknownHelper, pc, `unknown helper ${id}`);
  }
  if (v !== Violation.None) return v;
  const st = c.st, t = c.t;
  for (let r = 1; r <= 5; r++) {
    st.setRegReadable(r, false);
    setReg(t, r, Kind.Scalar, 0, 0, 0);
  }
  if (id === H.xdp_adjust_head) invalidatePacket(t, st);
  // A tail call that returns (index out of range) leaves r0 as it was: the kernel marks it uninitialised.
  st.setRegReadable(0, id !== H.tail_call);
  if (id === H.map_lookup_elem) setReg(t, 0, Kind.MapValueOrNull, -symbolId(pc, 0), 0, m);
  else setReg(t, 0, Kind.Scalar, 0, 0, 0);
  return Violation.None;
}

/** perf_event_output's r5: a bounded size; the buffer in r4 must hold that many initialised bytes. */
function perfSize(c: Core, pc: number): Violation {
  const t = c.t;
  if (!c.st.regReadable(5)) return c.errors.fail(Violation.UnreadableRegister, pc, 'perf_event_output: r5 is not initialised');
  if (t[KIND + 5] !== Kind.Const) return c.errors.fail(Violation.HelperArgument, pc, 'perf_event_output: r5 must be a known size');
  const lo = lowOf(c.syms, t[SYM + 5]!, t[OFF + 5]!), hi = highOf(c.syms, t[SYM + 5]!, t[OFF + 5]!);
  if (lo < 0 || hi > 0xffff) return c.errors.fail(Violation.HelperArgument, pc, `perf_event_output: size ${lo}…${hi} out of range`);
  return bufArg(c, 4, hi, pc);
}
