/**
 * Helper functions with the kernel's semantics, as a table indexed by helper id. Arguments are in
 * r1–r5, the result goes to r0. Time, randomness and CPU come from the run's input, so every run is
 * deterministic. An id with no entry is an "unsupported helper N" execution error.
 */
import { MAP_TYPES } from '../ebpf/program.js';
import { ExecFault } from './fault.js';
import { Machine, setReg } from './machine.js';
import { hex } from '../ebpf/hex.js';
import { ERRNO, type MapState } from './maps.js';
import { REGION_BASE } from './memory.js';

export type HelperFn = (m: Machine) => void;
export type HelperTable = readonly (HelperFn | undefined)[];

export { HELPER_IDS } from '../ebpf/helpers.js';
import { HELPER_IDS } from '../ebpf/helpers.js';

const XDP_ACTION = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;
const TC_ACT_REDIRECT = 7;
const ETH_HLEN = 14;
/** sizeof(struct xdp_frame) on 64-bit Linux (5.8 and later). */
const XDP_FRAME_SIZE = 40;

function ret(m: Machine, v: number): void {
  m.lo[0] = v | 0;
  m.hi[0] = v < 0 ? -1 : 0;
}

/** The map a register's map handle names. */
function mapArg(m: Machine, r: number, helper: string): MapState {
  const lo = m.lo[r]! >>> 0;
  const fd = (lo - REGION_BASE.mapHandle) / 16;
  const map = m.hi[r] === 0 && Number.isInteger(fd) ? m.mapsByFd.get(fd) : undefined;
  if (!map) throw new ExecFault('helper-argument', `${helper}: r${r} is not a map (0x${lo.toString(16)})`);
  return map;
}

function bytesArg(m: Machine, r: number, size: number): Uint8Array {
  return m.mem.readBytes(m.hi[r]!, m.lo[r]!, size);
}

const mapLookup: HelperFn = (m) => {
  const map = mapArg(m, 1, 'map_lookup_elem');
  if (map.def.type === MAP_TYPES.prog_array || map.def.type === MAP_TYPES.perf_event_array) {
    throw new ExecFault('helper-argument', `map_lookup_elem: map '${map.def.name}' cannot be read by programs`);
  }
  ret(m, 0);
  m.lo[0] = map.lookup(bytesArg(m, 2, map.def.keySize)) | 0;
};

const mapUpdate: HelperFn = (m) => {
  const map = mapArg(m, 1, 'map_update_elem');
  const flags = m.hi[4] !== 0 ? 0xffff_ffff : m.lo[4]! >>> 0; // > BPF_EXIST is -EINVAL
  ret(m, map.update(bytesArg(m, 2, map.def.keySize), bytesArg(m, 3, map.def.valueSize), flags));
};

const mapDelete: HelperFn = (m) => {
  const map = mapArg(m, 1, 'map_delete_elem');
  ret(m, map.delete(bytesArg(m, 2, map.def.keySize)));
};

const tailCall: HelperFn = (m) => {
  const map = mapArg(m, 2, 'tail_call');
  if (map.def.type !== MAP_TYPES.prog_array) throw new ExecFault('helper-argument', `tail_call: map '${map.def.name}' is not a prog array`);
  const index = m.lo[3]! >>> 0;
  // A prog array's slots are taken as populated unless seeded otherwise: an out-of-range index
  // fails and execution continues, as in the kernel; a hit ends this program.
  if (index >= map.def.maxEntries) return;
  m.sideEffects.tailCall = { mapFd: map.def.fd, index };
  m.stopped = true;
};

const redirect: HelperFn = (m) => {
  const flags = m.lo[2]! >>> 0;
  m.sideEffects.redirect = { ifindex: m.lo[1]! >>> 0, flags };
  if (m.progKind === 'xdp') ret(m, flags === 0 && m.hi[2] === 0 ? XDP_ACTION.REDIRECT : XDP_ACTION.ABORTED);
  else ret(m, flags & ~1 || m.hi[2] !== 0 ? 2 /* TC_ACT_SHOT */ : TC_ACT_REDIRECT);
};

const redirectMap: HelperFn = (m) => {
  const map = mapArg(m, 1, 'redirect_map');
  const key = m.lo[2]! >>> 0;
  const flags = m.lo[3]! >>> 0;
  // Besides the miss action (low two bits), only devmaps take flags: BPF_F_BROADCAST (8), which
  // redirects without a lookup, and BPF_F_EXCLUDE_INGRESS (16). Any other bit aborts.
  const devmap = map.def.type === MAP_TYPES.devmap || map.def.type === MAP_TYPES.devmap_hash;
  if (m.hi[3] !== 0 || (flags & ~(3 | (devmap ? 24 : 0))) !== 0) { ret(m, XDP_ACTION.ABORTED); return; }
  const hit = key < map.def.maxEntries && (map.sparse ? map.has(key) : true);
  if (hit || flags & 8) {
    m.sideEffects.redirect = { mapFd: map.def.fd, key, flags };
    ret(m, XDP_ACTION.REDIRECT);
  } else {
    // The low two bits of flags are the action returned on a miss (kernel ≥ 5.x).
    ret(m, flags & 3);
  }
};

const perfEventOutput: HelperFn = (m) => {
  const map = mapArg(m, 2, 'perf_event_output');
  // flags: the index (BPF_F_CURRENT_CPU = 0xffffffff: this CPU) and, for XDP and skb programs, in
  // bits 32–51 how many packet bytes to append. Other bits: -EINVAL; an index past the array: -E2BIG.
  const ctxLen = m.hi[3]! >>> 0;
  if (ctxLen !== 0 && (ctxLen > 0xfffff || m.model === 'raw' || m.model === 'none')) { ret(m, -ERRNO.EINVAL); return; }
  if (ctxLen > m.dataEnd - m.dataStart) { ret(m, -ERRNO.EFAULT); return; }
  const index = m.lo[3]! === -1 ? (m.input.cpu ?? 0) : m.lo[3]! >>> 0;
  if (index >= map.def.maxEntries) { ret(m, -ERRNO.E2BIG); return; }
  const size = m.lo[5]! >>> 0;
  const data = m.mem.readBytes(m.hi[4]!, m.lo[4]!, size);
  (m.sideEffects.perfOutputs ??= []).push(hex(data));
  ret(m, 0);
};

const xdpAdjustHead: HelperFn = (m) => {
  if (m.model !== 'xdp') throw new ExecFault('helper-argument', 'xdp_adjust_head: not an XDP program');
  const delta = m.lo[2]!;
  const newStart = m.dataStart + delta;
  // The headroom's first bytes are reserved for the struct xdp_frame the kernel may build there.
  const lowest = REGION_BASE.packet + XDP_FRAME_SIZE;
  if (newStart < lowest || newStart > m.dataEnd - ETH_HLEN) { ret(m, -ERRNO.EINVAL); return; }
  m.dataStart = newStart;
  m.syncXdpContext();
  ret(m, 0);
};

export const KERNEL_HELPERS: HelperTable = (() => {
  const t: (HelperFn | undefined)[] = [];
  t[HELPER_IDS.map_lookup_elem] = mapLookup;
  t[HELPER_IDS.map_update_elem] = mapUpdate;
  t[HELPER_IDS.map_delete_elem] = mapDelete;
  t[HELPER_IDS.ktime_get_ns] = (m) => setReg(m, 0, m.input.timeNs ?? 1_000_000_000n);
  t[HELPER_IDS.get_prandom_u32] = (m) => { m.lo[0] = m.nextRandom() | 0; m.hi[0] = 0; };
  t[HELPER_IDS.get_smp_processor_id] = (m) => ret(m, m.input.cpu ?? 0);
  t[HELPER_IDS.tail_call] = tailCall;
  t[HELPER_IDS.get_current_pid_tgid] = (m) => setReg(m, 0, m.input.pidTgid ?? ((1000n << 32n) | 1000n));
  t[HELPER_IDS.redirect] = redirect;
  t[HELPER_IDS.perf_event_output] = perfEventOutput;
  t[HELPER_IDS.xdp_adjust_head] = xdpAdjustHead;
  t[HELPER_IDS.redirect_map] = redirectMap;
  return t;
})();
