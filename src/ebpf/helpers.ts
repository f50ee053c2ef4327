/**
 * The helper table: one row per kernel helper id, the prototype the kernel's verifier checks
 * (include/uapi/linux/bpf.h and each helper's bpf_func_proto), read as plain data by every
 * consumer — the interpreter (which helpers it implements), the safety checker (argument and
 * return kinds, clobbered registers, packet-pointer invalidation), liveness (which argument
 * registers a call reads), the SMT encoder (exact model or uninterpreted function of every
 * argument and every byte its pointer arguments may read) and the kernel oracle.
 *
 * Like the opcode table, adding a helper is one row here plus its semantics where they live.
 */

/** What the kernel's verifier requires of one argument register. */
export type ArgKind =
  /** Any initialised scalar (ARG_ANYTHING where the value is used as a number). */
  | 'scalar'
  /** Any value, pointer or scalar, not dereferenced by the verifier (ARG_ANYTHING, e.g. probe_read's source). */
  | 'anything'
  /** Not checked by the verifier, may be uninitialised (ARG_DONTCARE); the helper may still read it
   *  (trace_printk's format arguments, as many as the format names). */
  | 'dontcare'
  /** A map handle (CONST_PTR_TO_MAP). */
  | 'map'
  /** Pointer to key_size initialised bytes of the map argument (ARG_PTR_TO_MAP_KEY). */
  | 'map-key'
  /** Pointer to value_size initialised bytes of the map argument (ARG_PTR_TO_MAP_VALUE). */
  | 'map-value'
  /** The program's context pointer (ARG_PTR_TO_CTX). */
  | 'ctx'
  /** Pointer to memory the helper reads: `size` bytes, initialised (ARG_PTR_TO_MEM | MEM_RDONLY). */
  | 'mem-read'
  /** Pointer to memory the helper writes, may be uninitialised before the call (ARG_PTR_TO_UNINIT_MEM). */
  | 'mem-write'
  /** Pointer to memory the helper reads and writes, initialised (ARG_PTR_TO_MEM). */
  | 'mem-read-write'
  /** The size in bytes of the preceding memory argument (ARG_CONST_SIZE[_OR_ZERO]): a bounded scalar. */
  | 'size'
  /** A record returned by ringbuf_reserve (ARG_PTR_TO_ALLOC_MEM | OBJ_RELEASE). */
  | 'ringbuf-record'
  /** Pointer to a struct bpf_spin_lock inside a map value. */
  | 'spin-lock'
  /** A BTF-typed kernel pointer (task, socket, seq_file...). */
  | 'btf-ptr';

/** What r0 holds after the call. */
export type RetKind =
  | 'integer'
  | 'void'
  /** Pointer to a map value of the first argument's map, or 0 (must be null-checked before use). */
  | 'map-value-or-null'
  /** Pointer to `size` bytes (the second argument) of a ring-buffer record, or 0. */
  | 'ringbuf-record-or-null'
  /** A BTF-typed kernel pointer, or 0. */
  | 'btf-ptr-or-null';

export interface HelperArg {
  kind: ArgKind;
  /** For memory arguments: the argument index (0-based) holding the size, or a fixed byte count. */
  size?: { arg: number } | { bytes: number };
  /** For memory arguments: a null pointer (with size 0) is allowed (ARG_PTR_TO_MEM_OR_NULL). */
  nullable?: boolean;
  /** For 'size': zero is allowed (ARG_CONST_SIZE_OR_ZERO). */
  zeroOk?: boolean;
}

export interface HelperProto {
  id: number;
  name: string;
  /** r1, r2, … in order; the registers after the last argument are not read. */
  args: readonly HelperArg[];
  ret: RetKind;
  /** The helper may change packet data or its bounds (the kernel's bpf_helper_changes_pkt_data):
   *  every packet pointer is invalid after the call. */
  changesPacket?: boolean;
  /** The result depends on kernel state outside the program (time, randomness, the current task,
   *  kernel or user memory, routing tables): the interpreter takes it from the test input. */
  environment?: boolean;
  /** The helper has an effect outside the program's memory (trace output, perf or ring-buffer events,
   *  redirects, socket options): two programs must make the same calls in the same order. */
  sideEffect?: boolean;
  /** The helper writes packet bytes without moving the packet (pointers stay valid). */
  writesPacket?: boolean;
  /** The helper changes context state a program can read back (skb hash, type, csum, sock_ops flags). */
  changesContext?: boolean;
}

const scalar: HelperArg = { kind: 'scalar' };
const anything: HelperArg = { kind: 'anything' };
const dontcare: HelperArg = { kind: 'dontcare' };
const map: HelperArg = { kind: 'map' };
const ctx: HelperArg = { kind: 'ctx' };
const btf: HelperArg = { kind: 'btf-ptr' };
const size: HelperArg = { kind: 'size' };
const sizeOrZero: HelperArg = { kind: 'size', zeroOk: true };
const readNext = (argIndex: number, nullable = false): HelperArg => ({ kind: 'mem-read', size: { arg: argIndex }, nullable });
const writeNext = (argIndex: number): HelperArg => ({ kind: 'mem-write', size: { arg: argIndex } });

function h(id: number, name: string, args: HelperArg[], ret: RetKind, extra: Partial<HelperProto> = {}): HelperProto {
  return { id, name, args, ret, ...extra };
}

/** Every helper k2lab knows, by id. The corpus of ../shared/real-world calls 43 of them. */
export const HELPERS: readonly HelperProto[] = [
  h(1, 'map_lookup_elem', [map, { kind: 'map-key' }], 'map-value-or-null'),
  h(2, 'map_update_elem', [map, { kind: 'map-key' }, { kind: 'map-value' }, scalar], 'integer'),
  h(3, 'map_delete_elem', [map, { kind: 'map-key' }], 'integer'),
  h(4, 'probe_read', [writeNext(1), sizeOrZero, anything], 'integer', { environment: true }),
  h(5, 'ktime_get_ns', [], 'integer', { environment: true }),
  h(6, 'trace_printk', [readNext(1), size, dontcare, dontcare, dontcare], 'integer', { sideEffect: true }),
  h(7, 'get_prandom_u32', [], 'integer', { environment: true }),
  h(8, 'get_smp_processor_id', [], 'integer', { environment: true }),
  h(9, 'skb_store_bytes', [ctx, scalar, readNext(3), size, scalar], 'integer', { changesPacket: true }),
  h(10, 'l3_csum_replace', [ctx, scalar, scalar, scalar, scalar], 'integer', { changesPacket: true }),
  h(11, 'l4_csum_replace', [ctx, scalar, scalar, scalar, scalar], 'integer', { changesPacket: true }),
  h(12, 'tail_call', [ctx, map, scalar], 'integer', { sideEffect: true }),
  h(13, 'clone_redirect', [ctx, scalar, scalar], 'integer', { changesPacket: true, sideEffect: true }),
  h(14, 'get_current_pid_tgid', [], 'integer', { environment: true }),
  h(15, 'get_current_uid_gid', [], 'integer', { environment: true }),
  h(16, 'get_current_comm', [writeNext(1), size], 'integer', { environment: true }),
  h(17, 'get_cgroup_classid', [ctx], 'integer', { environment: true }),
  h(18, 'skb_vlan_push', [ctx, scalar, scalar], 'integer', { changesPacket: true }),
  h(19, 'skb_vlan_pop', [ctx], 'integer', { changesPacket: true }),
  h(20, 'skb_get_tunnel_key', [ctx, writeNext(2), size, scalar], 'integer', { environment: true }),
  h(21, 'skb_set_tunnel_key', [ctx, readNext(2), size, scalar], 'integer', { sideEffect: true, changesContext: true }),
  h(22, 'perf_event_read', [map, scalar], 'integer', { environment: true }),
  h(23, 'redirect', [scalar, scalar], 'integer', { sideEffect: true }),
  h(24, 'get_route_realm', [ctx], 'integer', { environment: true }),
  h(25, 'perf_event_output', [ctx, map, scalar, readNext(4), sizeOrZero], 'integer', { sideEffect: true }),
  h(26, 'skb_load_bytes', [ctx, scalar, writeNext(3), size], 'integer'),
  h(27, 'get_stackid', [ctx, map, scalar], 'integer', { environment: true }),
  h(28, 'csum_diff', [readNext(1, true), sizeOrZero, readNext(3, true), sizeOrZero, scalar], 'integer'),
  h(31, 'skb_change_proto', [ctx, scalar, scalar], 'integer', { changesPacket: true }),
  h(32, 'skb_change_type', [ctx, scalar], 'integer', { changesContext: true }),
  h(34, 'get_hash_recalc', [ctx], 'integer', { environment: true }),
  h(35, 'get_current_task', [], 'integer', { environment: true }),
  h(37, 'current_task_under_cgroup', [map, scalar], 'integer', { environment: true }),
  h(38, 'skb_change_tail', [ctx, scalar, scalar], 'integer', { changesPacket: true }),
  h(39, 'skb_pull_data', [ctx, scalar], 'integer', { changesPacket: true }),
  h(40, 'csum_update', [ctx, scalar], 'integer', { changesContext: true }),
  h(41, 'set_hash_invalid', [ctx], 'void', { changesContext: true }),
  h(42, 'get_numa_node_id', [], 'integer', { environment: true }),
  h(43, 'skb_change_head', [ctx, scalar, scalar], 'integer', { changesPacket: true }),
  h(44, 'xdp_adjust_head', [ctx, scalar], 'integer', { changesPacket: true }),
  h(45, 'probe_read_str', [writeNext(1), sizeOrZero, anything], 'integer', { environment: true }),
  h(46, 'get_socket_cookie', [ctx], 'integer', { environment: true }),
  h(47, 'get_socket_uid', [ctx], 'integer', { environment: true }),
  h(48, 'set_hash', [ctx, scalar], 'integer', { changesContext: true }),
  h(50, 'skb_adjust_room', [ctx, scalar, scalar, scalar], 'integer', { changesPacket: true }),
  h(51, 'redirect_map', [map, scalar, scalar], 'integer', { sideEffect: true }),
  h(54, 'xdp_adjust_meta', [ctx, scalar], 'integer', { changesPacket: true }),
  h(59, 'sock_ops_cb_flags_set', [ctx, scalar], 'integer', { sideEffect: true, changesContext: true }),
  h(65, 'xdp_adjust_tail', [ctx, scalar], 'integer', { changesPacket: true }),
  h(67, 'get_stack', [ctx, writeNext(2), sizeOrZero, scalar], 'integer', { environment: true }),
  h(69, 'fib_lookup', [ctx, { kind: 'mem-read-write', size: { arg: 2 } }, size, scalar], 'integer', { environment: true }),
  h(87, 'map_push_elem', [map, { kind: 'map-value' }, scalar], 'integer'),
  h(88, 'map_pop_elem', [map, { kind: 'map-value' }], 'integer'),
  h(89, 'map_peek_elem', [map, { kind: 'map-value' }], 'integer'),
  h(93, 'spin_lock', [{ kind: 'spin-lock' }], 'void'),
  h(94, 'spin_unlock', [{ kind: 'spin-lock' }], 'void'),
  h(112, 'probe_read_user', [writeNext(1), sizeOrZero, anything], 'integer', { environment: true }),
  h(113, 'probe_read_kernel', [writeNext(1), sizeOrZero, anything], 'integer', { environment: true }),
  h(114, 'probe_read_user_str', [writeNext(1), sizeOrZero, anything], 'integer', { environment: true }),
  h(115, 'probe_read_kernel_str', [writeNext(1), sizeOrZero, anything], 'integer', { environment: true }),
  h(120, 'get_ns_current_pid_tgid', [scalar, scalar, writeNext(3), size], 'integer', { environment: true }),
  h(125, 'ktime_get_boot_ns', [], 'integer', { environment: true }),
  h(127, 'seq_write', [btf, readNext(2), sizeOrZero], 'integer', { sideEffect: true }),
  h(130, 'ringbuf_output', [map, readNext(2), sizeOrZero, scalar], 'integer', { sideEffect: true }),
  h(131, 'ringbuf_reserve', [map, size, scalar], 'ringbuf-record-or-null'),
  h(132, 'ringbuf_submit', [{ kind: 'ringbuf-record' }, scalar], 'void', { sideEffect: true }),
  h(133, 'ringbuf_discard', [{ kind: 'ringbuf-record' }, scalar], 'void'),
  h(134, 'ringbuf_query', [map, scalar], 'integer', { environment: true }),
  h(137, 'skc_to_tcp_sock', [btf], 'btf-ptr-or-null'),
  h(141, 'get_task_stack', [btf, writeNext(2), sizeOrZero, scalar], 'integer', { environment: true }),
  h(152, 'redirect_neigh', [scalar, readNext(2, true), sizeOrZero, scalar], 'integer', { sideEffect: true }),
  h(155, 'redirect_peer', [scalar, scalar], 'integer', { sideEffect: true }),
  h(160, 'ktime_get_coarse_ns', [], 'integer', { environment: true }),
  h(174, 'get_attach_cookie', [ctx], 'integer', { environment: true }),
  h(177, 'trace_vprintk', [readNext(1), size, readNext(3, true), sizeOrZero], 'integer', { sideEffect: true }),
  h(189, 'xdp_load_bytes', [ctx, scalar, writeNext(3), size], 'integer'),
  h(190, 'xdp_store_bytes', [ctx, scalar, readNext(3), size], 'integer', { writesPacket: true }),
];

const BY_ID: readonly (HelperProto | undefined)[] = (() => {
  const t: (HelperProto | undefined)[] = [];
  for (const p of HELPERS) {
    if (t[p.id]) throw new Error(`helper table: id ${p.id} twice`);
    t[p.id] = p;
  }
  return t;
})();

/** The prototype of helper `id`, or undefined for a helper k2lab does not know. */
export function helperProto(id: number): HelperProto | undefined {
  return id >= 0 ? BY_ID[id] : undefined;
}

/** `bpf_<name>` of a helper id, or `helper <id>` for an unknown one. */
export function helperName(id: number): string {
  const p = helperProto(id);
  return p ? `bpf_${p.name}` : `helper ${id}`;
}

/** Number of argument registers (r1…rN) a call to `id` reads; 5 for an unknown helper (the safe answer). */
export function helperArgCount(id: number): number {
  return helperProto(id)?.args.length ?? 5;
}

/** Helper ids by name, for code that calls out one helper (`HELPER_IDS.map_lookup_elem`): every row of HELPERS. */
export const HELPER_IDS = {
  map_lookup_elem: 1, map_update_elem: 2, map_delete_elem: 3, probe_read: 4, ktime_get_ns: 5, trace_printk: 6,
  get_prandom_u32: 7, get_smp_processor_id: 8, skb_store_bytes: 9, l3_csum_replace: 10, l4_csum_replace: 11,
  tail_call: 12, clone_redirect: 13, get_current_pid_tgid: 14, get_current_uid_gid: 15, get_current_comm: 16,
  get_cgroup_classid: 17, skb_vlan_push: 18, skb_vlan_pop: 19, skb_get_tunnel_key: 20, skb_set_tunnel_key: 21,
  perf_event_read: 22, redirect: 23, get_route_realm: 24, perf_event_output: 25, skb_load_bytes: 26, get_stackid: 27,
  csum_diff: 28, skb_change_proto: 31, skb_change_type: 32, get_hash_recalc: 34, get_current_task: 35,
  current_task_under_cgroup: 37, skb_change_tail: 38, skb_pull_data: 39, csum_update: 40, set_hash_invalid: 41,
  get_numa_node_id: 42, skb_change_head: 43, xdp_adjust_head: 44, probe_read_str: 45, get_socket_cookie: 46,
  get_socket_uid: 47, set_hash: 48, skb_adjust_room: 50, redirect_map: 51, xdp_adjust_meta: 54,
  sock_ops_cb_flags_set: 59, xdp_adjust_tail: 65, get_stack: 67, fib_lookup: 69, map_push_elem: 87, map_pop_elem: 88,
  map_peek_elem: 89, spin_lock: 93, spin_unlock: 94, probe_read_user: 112, probe_read_kernel: 113,
  probe_read_user_str: 114, probe_read_kernel_str: 115, get_ns_current_pid_tgid: 120, ktime_get_boot_ns: 125,
  seq_write: 127, ringbuf_output: 130, ringbuf_reserve: 131, ringbuf_submit: 132, ringbuf_discard: 133,
  ringbuf_query: 134, skc_to_tcp_sock: 137, get_task_stack: 141, redirect_neigh: 152, redirect_peer: 155,
  ktime_get_coarse_ns: 160, get_attach_cookie: 174, trace_vprintk: 177, xdp_load_bytes: 189, xdp_store_bytes: 190,
} as const;
