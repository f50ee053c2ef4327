/**
 * A loaded eBPF program as plain data: instructions, maps, program type and K2's input model.
 * Program types use the kernel's names without the BPF_PROG_TYPE_ prefix.
 */
import type { Insn } from './insn.js';

export const MAP_TYPES = {
  hash: 1, array: 2, prog_array: 3, perf_event_array: 4, percpu_hash: 5, percpu_array: 6,
  lru_hash: 9, lru_percpu_hash: 10, array_of_maps: 12, hash_of_maps: 13, devmap: 14, cpumap: 16,
  sockmap: 15, xskmap: 17, sockhash: 18, cgroup_storage: 19, reuseport_sockarray: 20, percpu_cgroup_storage: 21,
  queue: 22, stack: 23, sk_storage: 24, devmap_hash: 25, struct_ops: 26, ringbuf: 27, inode_storage: 28,
  task_storage: 29, bloom_filter: 30, user_ringbuf: 31, cgrp_storage: 32, arena: 33,
  stack_trace: 7, cgroup_array: 8, lpm_trie: 11,
} as const;
export type MapTypeName = keyof typeof MAP_TYPES;

export function mapTypeName(type: number): string {
  return (Object.entries(MAP_TYPES).find(([, v]) => v === type)?.[0]) ?? `type ${type}`;
}

export interface MapDef {
  name: string;
  /** Kernel `enum bpf_map_type` number. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** The number a map-fd pseudo load refers to (K2's `fd`; the map's index for ELF objects). */
  fd: number;
  flags: number;
  /**
   * Global data (`.data`, `.rodata*`, `.bss`, `.kconfig`): the ELF section this single-entry array
   * map stands for. Programs address it with BPF_PSEUDO_MAP_VALUE loads (imm = fd, second imm = offset).
   */
  globalData?: string;
  /** Initial contents of entry 0 (global data: the section's bytes; `.bss` zeros). */
  initialValue?: Uint8Array;
  /** Read-only for programs (BPF_F_RDONLY_PROG) and frozen after initialisation (`.rodata`, `.kconfig`). */
  readOnly?: boolean;
  /** Map-in-map: the inner map's definition (its fd is unused). */
  inner?: MapDef;
  /** Map-in-map: slots initialised by the `values` array, as inner maps of this program (by name). */
  innerSlots?: { index: number; map: string }[];
  /** How max_entries was chosen when the object left it 0 or a `--map-size` override set it. */
  sizedBy?: 'default' | 'override';
  /** BTF key/value type ids in the program's BTF, when the definition names types (spin locks need them). */
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
}

export const PROG_TYPES = [
  'socket_filter', 'kprobe', 'sched_cls', 'sched_act', 'tracepoint', 'xdp', 'perf_event',
  'cgroup_skb', 'cgroup_sock', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sock_ops', 'sk_skb', 'raw_tracepoint',
  'cgroup_sock_addr', 'flow_dissector',
] as const;
export type ProgType = (typeof PROG_TYPES)[number];

/** How the interpreter builds the context that r1 points at. */
export type ContextModel = 'xdp' | 'skb' | 'raw' | 'none';

export function contextModelOf(t: ProgType | undefined, k2InputType?: number): ContextModel {
  switch (t) {
    case 'xdp': return 'xdp';
    case 'socket_filter': case 'sched_cls': case 'sched_act': case 'cgroup_skb': case 'lwt_in': case 'lwt_out':
    case 'lwt_xmit': case 'sk_skb': case 'flow_dissector':
      return 'skb';
    case undefined: break;
    default: return 'raw';
  }
  // No kernel type known: fall back to K2's pgm_input_type.
  switch (k2InputType) {
    case 0: return 'none';
    case 2: return 'xdp';
    case 3: return 'skb';
    default: return 'raw';
  }
}

export function parseProgType(name: string): ProgType | undefined {
  const n = name.trim().toLowerCase().replace(/^bpf_prog_type_/, '');
  return (PROG_TYPES as readonly string[]).includes(n) ? (n as ProgType) : undefined;
}

/** Program type from an ELF section name (libbpf's conventions). */
export function progTypeFromSection(section: string): ProgType | undefined {
  const s = section.toLowerCase();
  if (s === 'xdp' || s.startsWith('xdp/') || s.startsWith('xdp.') || s.startsWith('xdp_')) return 'xdp';
  if (s.startsWith('socket')) return 'socket_filter';
  if (s.startsWith('tracepoint/') || s.startsWith('tp/')) return 'tracepoint';
  if (s.startsWith('raw_tracepoint/') || s.startsWith('raw_tp/')) return 'raw_tracepoint';
  if (s.startsWith('kprobe/') || s.startsWith('kretprobe/')) return 'kprobe';
  if (s === 'classifier' || s.startsWith('classifier/') || s === 'tc' || s.startsWith('tc/') || s.startsWith('tcx/')) return 'sched_cls';
  if (s === 'action' || s.startsWith('action/')) return 'sched_act';
  if (s.startsWith('cgroup/skb') || s.startsWith('cgroup_skb/')) return 'cgroup_skb';
  if (s.startsWith('cgroup/sock_addr') || /^cgroup\/(bind|connect|sendmsg|recvmsg|getpeername|getsockname)/.test(s)) return 'cgroup_sock_addr';
  if (s.startsWith('cgroup/sock')) return 'cgroup_sock';
  if (s.startsWith('sockops')) return 'sock_ops';
  if (s.startsWith('sk_skb')) return 'sk_skb';
  if (s.startsWith('perf_event')) return 'perf_event';
  return undefined;
}

export interface Program {
  /** Display name (file stem or ELF section). */
  name: string;
  /** Where it came from (a path), for messages. */
  source: string;
  insns: Insn[];
  maps: MapDef[];
  progType?: ProgType;
  /** K2's `pgm_input_type` (0–3) when the program came with a `.desc`. */
  k2InputType?: number;
  /** K2's `max_pkt_sz`: bytes of input memory generated for the program. */
  maxPktSize?: number;
  /** ELF section the program came from (`fentry/do_unlinkat`): the attach target for the kernel. */
  section?: string;
  /** The object's `license` section ("GPL", "Dual BSD/GPL", …); GPL-only helpers need a GPL-compatible one. */
  license?: string;
  /** The object's BTF, fixed up for BPF_BTF_LOAD, with this program's function and line info. */
  btf?: ProgramBtf;
  /** CO-RE relocations no target type matched: the instruction calls libbpf's poison helper. */
  poisoned?: { insn: number; relocation: string }[];
  /** kfunc calls resolved against the target BTF: instruction → kernel function name. */
  kfuncs?: { insn: number; name: string; btfId: number }[];
}

/** BTF the kernel can load (DATASEC sizes and offsets filled in, extern linkage made static). */
export interface ProgramBtf {
  bytes: Uint8Array;
  /** bpf_func_info records: instruction index, BTF FUNC id. */
  funcInfo: { insn: number; typeId: number }[];
  /** bpf_line_info records: instruction index, then string offsets and line/column as in .BTF.ext. */
  lineInfo: { insn: number; fileNameOff: number; lineOff: number; lineCol: number }[];
}

/** The default input size for a program: K2's max_pkt_sz, else a size fitting the context model. */
export function defaultInputSize(p: Program): number {
  if (p.maxPktSize !== undefined) return p.maxPktSize;
  const m = contextModelOf(p.progType, p.k2InputType);
  return m === 'raw' ? 64 : m === 'none' ? 0 : 64;
}
