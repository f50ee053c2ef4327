/**
 * A loaded eBPF program as plain data: instructions, maps, program type and K2's input model.
 * Program types use the kernel's names without the BPF_PROG_TYPE_ prefix.
 */
import { contextLayout } from './contexts.js';
import { sameInsn, type Insn } from './insn.js';

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
  /** Byte ranges of kernel-managed fields (bpf_spin_lock, bpf_timer, …) in the value: always zero as user space sees them. */
  kernelManaged?: { offset: number; size: number }[];
}

export const PROG_TYPES = [
  'socket_filter', 'kprobe', 'sched_cls', 'sched_act', 'tracepoint', 'xdp', 'perf_event',
  'cgroup_skb', 'cgroup_sock', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sock_ops', 'sk_skb', 'raw_tracepoint',
  'cgroup_sock_addr', 'flow_dissector', 'cgroup_device', 'sk_msg', 'cgroup_sysctl', 'cgroup_sockopt', 'tracing',
  'struct_ops', 'ext', 'lsm', 'sk_lookup', 'syscall', 'netfilter',
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

/**
 * What the kernel needs besides the type to load a program of a section (libbpf's section table):
 * the expected attach type (kernel enum bpf_attach_type name, lower case, without BPF_) and, for
 * BTF-attached types, the vmlinux BTF object to attach to (kind and name).
 */
export interface SectionAttach {
  progType: ProgType;
  expectedAttachType?: string;
  btfTarget?: { kind: 'func' | 'typedef'; name: string };
  /** Sleepable (`.s` suffix): BPF_F_SLEEPABLE. */
  sleepable?: boolean;
  /** `xdp.frags`: BPF_F_XDP_HAS_FRAGS. */
  xdpFrags?: boolean;
}

const CGROUP_SOCK_ADDR: Record<string, string> = {
  bind4: 'cgroup_inet4_bind', bind6: 'cgroup_inet6_bind', connect4: 'cgroup_inet4_connect', connect6: 'cgroup_inet6_connect',
  sendmsg4: 'cgroup_udp4_sendmsg', sendmsg6: 'cgroup_udp6_sendmsg', recvmsg4: 'cgroup_udp4_recvmsg', recvmsg6: 'cgroup_udp6_recvmsg',
  getpeername4: 'cgroup_inet4_getpeername', getpeername6: 'cgroup_inet6_getpeername',
  getsockname4: 'cgroup_inet4_getsockname', getsockname6: 'cgroup_inet6_getsockname',
};

/** Attach information from an ELF section name, following libbpf's section definitions. */
export function attachFromSection(section: string): SectionAttach | undefined {
  const s = section;
  const [head = '', ...rest] = s.split('/');
  const arg = rest.join('/');
  const sleepable = head.endsWith('.s');
  const base = sleepable ? head.slice(0, -2) : head;
  const btf = (expectedAttachType: string, kind: 'func' | 'typedef', name: string, progType: ProgType = 'tracing'): SectionAttach =>
    ({ progType, expectedAttachType, ...(arg ? { btfTarget: { kind, name } } : {}), ...(sleepable ? { sleepable } : {}) });
  switch (base) {
    case 'xdp': case 'xdp.frags': {
      const frags = base === 'xdp.frags' ? { xdpFrags: true } : {};
      if (arg === 'devmap') return { progType: 'xdp', expectedAttachType: 'xdp_devmap', ...frags };
      if (arg === 'cpumap') return { progType: 'xdp', expectedAttachType: 'xdp_cpumap', ...frags };
      return { progType: 'xdp', expectedAttachType: 'xdp', ...frags };
    }
    case 'tcx': return { progType: 'sched_cls', expectedAttachType: arg === 'egress' ? 'tcx_egress' : 'tcx_ingress' };
    case 'tc': case 'classifier': return { progType: 'sched_cls' };
    case 'action': return { progType: 'sched_act' };
    case 'cgroup_skb': return { progType: 'cgroup_skb', expectedAttachType: arg === 'egress' ? 'cgroup_inet_egress' : 'cgroup_inet_ingress' };
    case 'sockops': return { progType: 'sock_ops', expectedAttachType: 'cgroup_sock_ops' };
    case 'socket': return { progType: 'socket_filter' };
    case 'kprobe': case 'kretprobe': case 'ksyscall': case 'kretsyscall': case 'uprobe': case 'uretprobe': case 'usdt':
    case 'kprobe.multi': case 'kretprobe.multi': case 'uprobe.multi': case 'uretprobe.multi':
      return { progType: 'kprobe', ...(base.endsWith('.multi') ? { expectedAttachType: base.startsWith('u') ? 'trace_uprobe_multi' : 'trace_kprobe_multi' } : {}) };
    case 'tracepoint': case 'tp': return { progType: 'tracepoint' };
    case 'raw_tracepoint': case 'raw_tp': return { progType: 'raw_tracepoint' };
    case 'tp_btf': return btf('trace_raw_tp', 'typedef', `btf_trace_${arg}`);
    case 'fentry': return btf('trace_fentry', 'func', arg);
    case 'fexit': return btf('trace_fexit', 'func', arg);
    case 'fmod_ret': return btf('modify_return', 'func', arg);
    case 'lsm': return btf('lsm_mac', 'func', `bpf_lsm_${arg}`, 'lsm');
    case 'iter': return btf('trace_iter', 'func', `bpf_iter_${arg}`);
    case 'perf_event': return { progType: 'perf_event' };
    case 'sk_skb': return { progType: 'sk_skb', ...(arg === 'stream_parser' ? { expectedAttachType: 'sk_skb_stream_parser' } : arg === 'stream_verdict' ? { expectedAttachType: 'sk_skb_stream_verdict' } : {}) };
    case 'sk_msg': return { progType: 'sk_msg', expectedAttachType: 'sk_msg_verdict' };
    case 'flow_dissector': return { progType: 'flow_dissector', expectedAttachType: 'flow_dissector' };
    case 'sk_lookup': return { progType: 'sk_lookup', expectedAttachType: 'sk_lookup' };
    case 'syscall': return { progType: 'syscall' };
    case 'netfilter': return { progType: 'netfilter', expectedAttachType: 'netfilter' };
    case 'cgroup': {
      if (CGROUP_SOCK_ADDR[arg]) return { progType: 'cgroup_sock_addr', expectedAttachType: CGROUP_SOCK_ADDR[arg] };
      if (arg === 'skb') return { progType: 'cgroup_skb' };
      if (arg === 'sock' || arg === 'sock_create') return { progType: 'cgroup_sock', expectedAttachType: 'cgroup_inet_sock_create' };
      if (arg === 'sock_release') return { progType: 'cgroup_sock', expectedAttachType: 'cgroup_inet_sock_release' };
      if (arg === 'post_bind4' || arg === 'post_bind6') return { progType: 'cgroup_sock', expectedAttachType: `cgroup_inet${arg.slice(-1)}_post_bind` };
      if (arg === 'dev') return { progType: 'cgroup_device', expectedAttachType: 'cgroup_device' };
      if (arg === 'sysctl') return { progType: 'cgroup_sysctl', expectedAttachType: 'cgroup_sysctl' };
      if (arg === 'getsockopt' || arg === 'setsockopt') return { progType: 'cgroup_sockopt', expectedAttachType: `cgroup_${arg}` };
      return undefined;
    }
    default:
      // Old-style names: xdp_vlan01, xdp_prog… are XDP programs to their loaders.
      if (/^xdp[_.]/.test(s)) return { progType: 'xdp' };
      if (s.startsWith('socket')) return { progType: 'socket_filter' };
      return undefined;
  }
}

/** Program type from an ELF section name (libbpf's conventions). */
export function progTypeFromSection(section: string): ProgType | undefined {
  return attachFromSection(section)?.progType;
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
  /** ELF objects: the functions linked into the program (entry first), by name and first instruction. */
  functions?: { name: string; insn: number }[];
  /** kfunc calls resolved against the target BTF: instruction → kernel function name. */
  kfuncs?: { insn: number; name: string; btfId: number }[];
  /**
   * Slots no rewrite may change (sorted): in an object, the ones a relocation or a CO-RE relocation
   * pins — their bytes are the loader's to fill, and a CO-RE offset folded here is only this kernel's.
   */
  frozen?: readonly number[];
}

/** Whether `after` differs from `before` at one of the program's frozen slots. */
export function changesFrozen(program: Pick<Program, 'frozen'>, before: readonly Insn[], after: readonly Insn[]): boolean {
  for (const f of program.frozen ?? []) {
    const a = before[f], b = after[f];
    if (a !== b && (!a || !b || !sameInsn(a, b))) return true;
  }
  return false;
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
  // A raw context of a known kernel type is its layout (pt_regs, tracepoint record, args array, …).
  return m === 'raw' ? (p.k2InputType === undefined ? contextLayout(p.progType).size : 64) : m === 'none' ? 0 : 64;
}
