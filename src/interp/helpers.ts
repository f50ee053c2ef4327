/**
 * Helper functions with the kernel's semantics, as a table indexed by helper id. Arguments are in
 * r1–r5, the result goes to r0. This file: maps (lookup/update/delete, map-in-map, queue/stack,
 * ring buffers), tail calls, redirects, perf output, spin locks, socket and cgroup helpers; packet
 * helpers are in helpers-packet.ts, tracing helpers in helpers-trace.ts. Answers that depend on
 * the kernel's state come from the run's input (environment.ts), so every run is deterministic.
 * An id with no entry is an "unsupported helper N" execution error.
 */
import { MAP_TYPES } from '../ebpf/program.js';
import { HELPER_IDS } from '../ebpf/helpers.js';
import { ExecFault } from './fault.js';
import { bytesArg, mapArg, ret, u32, usedEnvironment, writeArg, type HelperFn } from './helper-base.js';
import { addPacketHelpers } from './helpers-packet.js';
import { addTraceHelpers } from './helpers-trace.js';
import { type Machine } from './machine.js';
import { ERRNO, MAP_IN_MAP, hex } from './maps.js';
import { REGION_BASE } from './memory.js';
import { RINGBUF_HDR_SZ } from './ringbuf.js';
import { TC_ACT, XDP_ACTION } from '../ebpf/abi.js';

export type { HelperFn } from './helper-base.js';
export type HelperTable = readonly (HelperFn | undefined)[];

export { HELPER_IDS } from '../ebpf/helpers.js';
const H = HELPER_IDS;


const mapLookup: HelperFn = (m) => {
  const map = mapArg(m, 1, 'map_lookup_elem');
  const t = map.def.type;
  if (t === MAP_TYPES.prog_array || t === MAP_TYPES.perf_event_array || t === MAP_TYPES.ringbuf || t === MAP_TYPES.queue || t === MAP_TYPES.stack || t === MAP_TYPES.cgroup_array) {
    throw new ExecFault('helper-argument', `map_lookup_elem: map '${map.def.name}' cannot be read by programs`);
  }
  const key = bytesArg(m, 2, map.def.keySize);
  ret(m, 0);
  if (MAP_IN_MAP.has(t)) { // the inner map's handle, as a map-fd load would give
    const fd = map.innerFd(key);
    m.lo[0] = fd < 0 ? 0 : (REGION_BASE.mapHandle + fd * 16) | 0;
    return;
  }
  m.lo[0] = map.lookup(key) | 0;
};

const mapUpdate: HelperFn = (m) => {
  const map = mapArg(m, 1, 'map_update_elem');
  if (map.def.type === MAP_TYPES.queue || map.def.type === MAP_TYPES.stack) { ret(m, map.push(bytesArg(m, 3, map.def.valueSize), flagsArg(m, 4))); return; }
  ret(m, map.update(bytesArg(m, 2, map.def.keySize), bytesArg(m, 3, map.def.valueSize), flagsArg(m, 4)));
};

/** A u64 flags argument: anything above 32 bits is as invalid as an unknown low bit. */
const flagsArg = (m: Machine, r: number): number => (m.hi[r] !== 0 ? 0xffff_ffff : m.lo[r]! >>> 0);

const mapDelete: HelperFn = (m) => {
  const map = mapArg(m, 1, 'map_delete_elem');
  ret(m, map.delete(bytesArg(m, 2, map.def.keySize)));
};

const mapPush: HelperFn = (m) => {
  const map = mapArg(m, 1, 'map_push_elem');
  if (map.def.type !== MAP_TYPES.queue && map.def.type !== MAP_TYPES.stack) throw new ExecFault('helper-argument', `map_push_elem: map '${map.def.name}' is not a queue or stack`);
  ret(m, map.push(bytesArg(m, 2, map.def.valueSize), flagsArg(m, 3)));
};

/** map_pop_elem / map_peek_elem: the value, or −ENOENT with the buffer zeroed when empty. */
const mapPop = (remove: boolean): HelperFn => (m) => {
  const map = mapArg(m, 1, remove ? 'map_pop_elem' : 'map_peek_elem');
  if (map.def.type !== MAP_TYPES.queue && map.def.type !== MAP_TYPES.stack) throw new ExecFault('helper-argument', `map_${remove ? 'pop' : 'peek'}_elem: map '${map.def.name}' is not a queue or stack`);
  const v = map.pop(remove);
  writeArg(m, 2, v ?? new Uint8Array(map.def.valueSize));
  ret(m, v ? 0 : -ERRNO.ENOENT);
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
  else ret(m, flags & ~1 || m.hi[2] !== 0 ? TC_ACT.SHOT : TC_ACT.REDIRECT);
};

const redirectMap: HelperFn = (m) => {
  const map = mapArg(m, 1, 'redirect_map');
  const key = m.lo[2]! >>> 0;
  const flags = m.lo[3]! >>> 0;
  // Besides the miss action (low two bits), only devmaps take flags: BPF_F_BROADCAST (8), which
  // redirects without a lookup, and BPF_F_EXCLUDE_INGRESS (16). Any other bit aborts.
  const devmap = map.def.type === MAP_TYPES.devmap || map.def.type === MAP_TYPES.devmap_hash;
  if (m.hi[3] !== 0 || (flags & ~(3 | (devmap ? 24 : 0))) !== 0) { ret(m, XDP_ACTION.ABORTED); return; }
  const hit = key < map.def.maxEntries && (map.sparse || map.def.type === MAP_TYPES.devmap_hash ? map.has(key) : true);
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

function ringArg(m: Machine, r: number, helper: string): ReturnType<typeof mapArg> & { ring: NonNullable<ReturnType<typeof mapArg>['ring']> } {
  const map = mapArg(m, r, helper);
  if (!map.ring) throw new ExecFault('helper-argument', `${helper}: map '${map.def.name}' is not a ring buffer`);
  return map as ReturnType<typeof mapArg> & { ring: NonNullable<ReturnType<typeof mapArg>['ring']> };
}

const ringbufReserve: HelperFn = (m) => {
  const map = ringArg(m, 1, 'ringbuf_reserve');
  const off = map.ring.reserve(m.hi[2] !== 0 ? 0xffff_ffff : u32(m, 2), flagsArg(m, 3));
  ret(m, 0);
  if (off < 0) return;
  const size = u32(m, 2);
  map.region.bytes.fill(0, off, off + size); // the kernel hands out whatever was there; a fresh buffer is zero
  map.markRing(off - RINGBUF_HDR_SZ, off + size);
  m.lo[0] = (map.region.base + off) | 0;
};

/** ringbuf_submit / ringbuf_discard(record, flags): the record must be one this run reserved. */
const ringbufCommit = (discard: boolean): HelperFn => (m) => {
  const addr = m.lo[1]! >>> 0;
  const map = m.maps.find((s) => s.ring && addr >= s.region.base && addr < s.region.base + s.region.bytes.length);
  const rec = map?.ring!.busyAt(addr - map.region.base);
  if (!map || !rec || m.hi[1] !== 0) throw new ExecFault('helper-argument', `ringbuf_${discard ? 'discard' : 'submit'}: r1 is not a reserved ring buffer record`);
  map.ring!.commit(rec, discard, map.region.bytes);
  ret(m, 0);
};

const ringbufOutput: HelperFn = (m) => {
  const map = ringArg(m, 1, 'ringbuf_output');
  const size = u32(m, 3);
  const flags = flagsArg(m, 4);
  if (flags & ~3) { ret(m, -ERRNO.EINVAL); return; } // BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP
  const off = map.ring.reserve(size, 0);
  if (off < 0) { ret(m, -ERRNO.EAGAIN); return; }
  map.region.bytes.set(size ? bytesArg(m, 2, size) : new Uint8Array(0), off);
  map.markRing(off - RINGBUF_HDR_SZ, off + size);
  map.ring.commit(map.ring.busyAt(off)!, false, map.region.bytes);
  ret(m, 0);
};

const ringbufQuery: HelperFn = (m) => {
  const map = ringArg(m, 1, 'ringbuf_query');
  const r = map.ring;
  // BPF_RB_AVAIL_DATA, RING_SIZE, CONS_POS, PROD_POS; the consumer never moves here.
  const v = [r.prodPos, r.size, 0, r.prodPos][u32(m, 2)] ?? 0;
  ret(m, v);
};

/** current_task_under_cgroup(map, index): −E2BIG past the array, −EAGAIN on an empty slot, else the model's answer. */
const underCgroup: HelperFn = (m) => {
  const map = mapArg(m, 1, 'current_task_under_cgroup');
  const i = u32(m, 2);
  if (i >= map.def.maxEntries) { ret(m, -ERRNO.E2BIG); return; }
  if (!map.has(i)) { ret(m, -ERRNO.EAGAIN); return; }
  usedEnvironment(m, H.current_task_under_cgroup);
  ret(m, m.input.inCgroup ? 1 : 0);
};

/** sock_ops_cb_flags_set(ctx, flags): on a full socket stores the known flags and returns the unknown ones. */
const sockOpsCbFlagsSet: HelperFn = (m) => {
  const ctx = m.ctx!.view;
  if (ctx.getUint32(72, true) === 0) { ret(m, -ERRNO.EINVAL); return; } // is_fullsock
  const flags = u32(m, 2);
  ctx.setUint32(84, flags & 0x7f, true); // bpf_sock_ops_cb_flags (BPF_SOCK_OPS_ALL_CB_FLAGS)
  ret(m, flags & ~0x7f);
};

const envNumber = (id: number, f: (m: Machine) => number): HelperFn => (m) => { usedEnvironment(m, id); ret(m, f(m)); };

export const KERNEL_HELPERS: HelperTable = (() => {
  const t: (HelperFn | undefined)[] = [];
  t[H.map_lookup_elem] = mapLookup;
  t[H.map_update_elem] = mapUpdate;
  t[H.map_delete_elem] = mapDelete;
  t[H.map_push_elem] = mapPush;
  t[H.map_pop_elem] = mapPop(true);
  t[H.map_peek_elem] = mapPop(false);
  t[H.tail_call] = tailCall;
  t[H.redirect] = redirect;
  t[H.redirect_map] = redirectMap;
  t[H.perf_event_output] = perfEventOutput;
  t[H.ringbuf_reserve] = ringbufReserve;
  t[H.ringbuf_submit] = ringbufCommit(false);
  t[H.ringbuf_discard] = ringbufCommit(true);
  t[H.ringbuf_output] = ringbufOutput;
  t[H.ringbuf_query] = ringbufQuery;
  // One CPU runs the program: a lock is always free.
  t[H.spin_lock] = (m) => ret(m, 0);
  t[H.spin_unlock] = (m) => ret(m, 0);
  t[H.current_task_under_cgroup] = underCgroup;
  t[H.sock_ops_cb_flags_set] = sockOpsCbFlagsSet;
  t[H.get_socket_cookie] = (m) => { usedEnvironment(m, H.get_socket_cookie); const c = m.input.socketCookie ?? 0n; m.lo[0] = Number(c & 0xffff_ffffn) | 0; m.hi[0] = Number(c >> 32n) | 0; };
  t[H.get_socket_uid] = envNumber(H.get_socket_uid, (m) => m.input.socketUid ?? 65534);
  t[H.get_hash_recalc] = envNumber(H.get_hash_recalc, (m) => m.ctx!.view.getUint32(68, true));
  t[H.set_hash_invalid] = (m) => { m.ctx!.view.setUint32(68, 0, true); ret(m, 0); };
  t[H.set_hash] = (m) => { m.ctx!.view.setUint32(68, u32(m, 2), true); ret(m, 0); };
  addPacketHelpers(t);
  addTraceHelpers(t);
  return t;
})();
