/**
 * A loaded eBPF program as plain data: instructions, maps, program type and K2's input model.
 * Program types use the kernel's names without the BPF_PROG_TYPE_ prefix.
 */
import { contextLayout } from './contexts.js';
import type { Insn } from './insn.js';

export const MAP_TYPES = {
  hash: 1, array: 2, prog_array: 3, perf_event_array: 4, percpu_hash: 5, percpu_array: 6,
  lru_hash: 9, lru_percpu_hash: 10, array_of_maps: 12, hash_of_maps: 13, devmap: 14, cpumap: 16,
  xskmap: 17, devmap_hash: 25, ringbuf: 27,
  stack_trace: 7, cgroup_array: 8, lpm_trie: 11, queue: 22, stack: 23,
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
  /** Global data (.data/.rodata/.bss/.kconfig as libbpf's single-entry arrays): the value's initial bytes. */
  initial?: Uint8Array;
  /** Array/hash of maps: the inner map's definition (its `fd` is not used). */
  inner?: MapDef;
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
}

/** The default input size for a program: K2's max_pkt_sz, else a size fitting the context model. */
export function defaultInputSize(p: Program): number {
  if (p.maxPktSize !== undefined) return p.maxPktSize;
  const m = contextModelOf(p.progType, p.k2InputType);
  // A raw context of a known kernel type is its layout (pt_regs, tracepoint record, args array, …).
  return m === 'raw' ? (p.k2InputType === undefined ? contextLayout(p.progType).size : 64) : m === 'none' ? 0 : 64;
}
