/**
 * What the program may do with its context and packet, per context model and program type: which
 * context bytes can be read or written with which sizes, what a context load yields (data → packet
 * pointer, data_end → packet end), and whether direct packet access is allowed (the kernel's
 * *_is_valid_access and may_access_direct_pkt_data, reduced to the fields we model).
 */
import { PERF_EVENT_LAYOUT, PT_REGS_LAYOUT, SK_BUFF_LAYOUT, SOCK_OPS_LAYOUT, XDP_MD_LAYOUT, contextLayout } from '../ebpf/contexts.js';
import { MAP_TYPES, attachFromSection, contextModelOf, type ContextModel, type MapDef, type ProgType } from '../ebpf/program.js';
import { Kind } from './types.js';
import { returnRangeOf, type Range } from './return-range.js';
import { tracingArgs } from './tracing-args.js';

/** What the checker needs to know about the program besides its instructions. */
export interface ProgramLike {
  maps: readonly MapDef[];
  progType?: ProgType;
  k2InputType?: number;
  maxPktSize?: number;
  /** ELF section (the expected attach type decides some types' return range). */
  section?: string;
}

export const enum PacketAccess { None = 0, Read = 1, ReadWrite = 2 }

export interface ProgInfo {
  model: ContextModel;
  progType: ProgType | undefined;
  /** Raw model: bytes of input r1 points at. */
  rawSize: number;
  /** Raw model without a kernel type is K2's type-1 packet (writable, unaligned ok); a tracepoint's is read-only. */
  rawIsK2Packet: boolean;
  packetAccess: PacketAccess;
  /** sched_cls / sched_act may write mark, priority, … and tc_classid; socket filters only cb[]. */
  skbTc: boolean;
  mapType: Int32Array;
  keySize: Int32Array;
  valueSize: Int32Array;
  /** Whether the program may write through a value pointer (devmap/cpumap values are read-only). */
  valueWritable: Uint8Array;
  /** fd → map index. */
  fdIndex: ReadonlyMap<number, number>;
  /** The values r0 may hold at exit, when the type restricts them. */
  returnRange: Range | undefined;
  /** An XDP program for a devmap (it may read xdp_md.egress_ifindex). */
  xdpDevmap: boolean;
  /** BTF-attached tracing programs: per u64 argument, whether it is a pointer (tracing-args.ts). */
  tracingArgs: boolean[] | undefined;
}

const BPF_F_RDONLY_PROG = 0x80;
const READ_ONLY_VALUES = new Set<number>([MAP_TYPES.devmap, MAP_TYPES.devmap_hash, MAP_TYPES.cpumap, MAP_TYPES.xskmap]);

function packetAccessOf(model: ContextModel, t: ProgType | undefined): PacketAccess {
  if (model === 'xdp') return PacketAccess.ReadWrite;
  if (model !== 'skb') return PacketAccess.None;
  switch (t) {
    case undefined: case 'sched_cls': case 'sched_act': case 'lwt_xmit': case 'sk_skb': return PacketAccess.ReadWrite;
    case 'cgroup_skb': case 'lwt_in': case 'lwt_out': case 'flow_dissector': return PacketAccess.Read;
    default: return PacketAccess.None; // socket filters read the packet with LD_ABS/LD_IND only
  }
}

export function progInfoOf(p: ProgramLike): ProgInfo {
  const model = contextModelOf(p.progType, p.k2InputType);
  const n = p.maps.length;
  const info: ProgInfo = {
    model,
    progType: p.progType,
    rawSize: p.maxPktSize ?? rawContextSize(p.progType, p.k2InputType),
    rawIsK2Packet: p.progType === undefined,
    packetAccess: packetAccessOf(model, p.progType),
    skbTc: p.progType === undefined || p.progType === 'sched_cls' || p.progType === 'sched_act',
    mapType: new Int32Array(n),
    keySize: new Int32Array(n),
    valueSize: new Int32Array(n),
    valueWritable: new Uint8Array(n),
    fdIndex: new Map(p.maps.map((m, i) => [m.fd, i])),
    returnRange: returnRangeOf(p.progType, p.section),
    xdpDevmap: p.section !== undefined && attachFromSection(p.section)?.expectedAttachType === 'xdp_devmap',
    tracingArgs: p.progType === 'tracing' ? tracingArgs(p.section) : undefined,
  };
  p.maps.forEach((m, i) => {
    info.mapType[i] = m.type;
    info.keySize[i] = m.keySize;
    info.valueSize[i] = m.valueSize;
    info.valueWritable[i] = READ_ONLY_VALUES.has(m.type) || (m.flags & BPF_F_RDONLY_PROG) !== 0 ? 0 : 1;
  });
  return info;
}

/**
 * Bytes of a raw context: K2's default 64 without a kernel type; the kernel's struct for the types whose
 * read rules ctxLoad states (pt_regs, bpf_perf_event_data, bpf_sock_ops, a tracepoint record, the
 * raw_tp argument array) — the interpreter and the Z3 encoding give these types the same size
 * (defaultInputSize). Other types keep 64 bytes: reads past them are refused, erring on the safe side.
 */
const SIZED_RAW_TYPES = new Set<ProgType>(['kprobe', 'perf_event', 'sock_ops', 'tracepoint', 'raw_tracepoint']);
function rawContextSize(t: ProgType | undefined, k2InputType: number | undefined): number {
  return t !== undefined && k2InputType === undefined && SIZED_RAW_TYPES.has(t) ? contextLayout(t).size : 64;
}

/** Sentinel result of ctxLoad/ctxStore: the access is not allowed. */
export const CTX_DENIED = -1;

const X = XDP_MD_LAYOUT.fields, S = SK_BUFF_LAYOUT.fields;
const XDP_EGRESS_IFINDEX = X.egress_ifindex!.offset;
const XDP_DATA = X.data!.offset, XDP_DATA_END = X.data_end!.offset, XDP_DATA_META = X.data_meta!.offset, XDP_MD_SIZE = XDP_MD_LAYOUT.size;
const SKB_SIZE = SK_BUFF_LAYOUT.size, SKB_CB = S.cb!.offset, SKB_CB_END = S.cb!.offset + S.cb!.size, SKB_TC_CLASSID = S.tc_classid!.offset;
const SKB_DATA = S.data!.offset, SKB_DATA_END = S.data_end!.offset;
const SKB_DATA_META = S.data_meta!.offset, SKB_TSTAMP = S.tstamp!.offset, SKB_HWTSTAMP = S.hwtstamp!.offset;
/** __sk_buff u32 fields a tc program may write: mark, queue_mapping, priority, tc_index. */
const SKB_TC_WRITABLE = new Set([S.mark!.offset, S.queue_mapping!.offset, S.priority!.offset, S.tc_index!.offset]);

/**
 * The kind a context load of `size` bytes at `off` yields, or CTX_DENIED. K2's rule for XDP (4-byte
 * aligned u32 fields, read only) is kept; the __sk_buff table follows the kernel's for the fields
 * the interpreter models; a raw context is plain bytes.
 */
export function ctxLoad(info: ProgInfo, off: number, size: number): number {
  switch (info.model) {
    case 'xdp':
      if (size !== 4 || off < 0 || off >= XDP_MD_SIZE || off % 4 !== 0) return CTX_DENIED;
      // egress_ifindex exists only for programs run from a devmap (xdp_is_valid_access).
      if (off === XDP_EGRESS_IFINDEX && !info.xdpDevmap) return CTX_DENIED;
      return off === XDP_DATA ? Kind.Pkt : off === XDP_DATA_END ? Kind.PktEnd : off === XDP_DATA_META ? Kind.Mixed : Kind.Scalar;
    case 'skb':
      return skbAccess(info, off, size, false);
    case 'raw':
      if (info.progType === 'tracing') {
        const args = info.tracingArgs;
        if (!args || size !== 8 || off < 0 || off % 8 !== 0 || off / 8 >= args.length) return CTX_DENIED;
        return args[off / 8] ? Kind.Mixed : Kind.Scalar;
      }
      if (off < 0 || off + size > info.rawSize) return CTX_DENIED;
      if (!info.rawIsK2Packet && off % size !== 0) return CTX_DENIED;
      // A tracepoint's first 8 bytes hold the kernel's pt_regs pointer: tp_prog_is_valid_access refuses them.
      if (info.progType === 'tracepoint' && off < 8) return CTX_DENIED;
      if (info.progType === 'perf_event' && !info.rawIsK2Packet) return perfEventRead(off, size);
      if (info.progType === 'sock_ops' && !info.rawIsK2Packet) return sockOpsRead(off, size);
      return Kind.Scalar;
    default:
      return CTX_DENIED;
  }
}

/** Whether a store of `size` bytes at `off` into the context is allowed (the value is checked by the caller). */
export function ctxStoreAllowed(info: ProgInfo, off: number, size: number): boolean {
  switch (info.model) {
    case 'skb':
      return skbAccess(info, off, size, true) !== CTX_DENIED;
    case 'raw':
      return info.rawIsK2Packet && off >= 0 && off + size <= info.rawSize;
    default:
      return false; // xdp_md and 'none' have no writable context
  }
}

/** pe_prog_is_valid_access: the registers are read as whole u64s; sample_period and addr also narrower. */
function perfEventRead(off: number, size: number): number {
  if (off < PT_REGS_LAYOUT.size) return size === 8 ? Kind.Scalar : CTX_DENIED;
  return off + size <= PERF_EVENT_LAYOUT.size ? Kind.Scalar : CTX_DENIED;
}

const SO = SOCK_OPS_LAYOUT.fields;
const SOCK_OPS_U64 = new Set([SO.bytes_received!.offset, SO.bytes_acked!.offset, SO.skb_hwtstamp!.offset]);
const SOCK_OPS_POINTERS_FROM = SO.sk!.offset, SOCK_OPS_POINTERS_END = SO.skb_data_end!.offset + 8;

/**
 * sock_ops_is_valid_access for reads: u32 fields as whole u32s (skb_tcp_flags also narrower), the u64
 * counters as u64s. sk, skb_data and skb_data_end load pointers (socket, packet) we do not model: refused.
 */
function sockOpsRead(off: number, size: number): number {
  if (off >= SOCK_OPS_POINTERS_FROM && off < SOCK_OPS_POINTERS_END) return CTX_DENIED;
  if (SOCK_OPS_U64.has(off)) return size === 8 ? Kind.Scalar : CTX_DENIED;
  if (off >= SO.skb_tcp_flags!.offset && off < SO.skb_tcp_flags!.offset + 4) return Kind.Scalar;
  return size === 4 && !SOCK_OPS_U64.has(off - 4) ? Kind.Scalar : CTX_DENIED;
}

function skbAccess(info: ProgInfo, off: number, size: number, write: boolean): number {
  if (off < 0 || off + size > SKB_SIZE || off % size !== 0) return CTX_DENIED;
  const socketFilter = info.packetAccess === PacketAccess.None;
  if (off >= SKB_CB && off < SKB_CB_END) return off + size <= SKB_CB_END ? Kind.Scalar : CTX_DENIED;
  if (off < SKB_CB) return u32Field(write, info.skbTc && SKB_TC_WRITABLE.has(off - (off % 4)), size);
  if (off < SKB_TC_CLASSID) return u32Field(write, false, size); // hash
  if (off < SKB_DATA) return socketFilter ? CTX_DENIED : u32Field(write, info.skbTc, size);
  if (off === SKB_DATA || off === SKB_DATA_END || off === SKB_DATA_META) {
    if (socketFilter || write || size !== 4) return CTX_DENIED;
    return off === SKB_DATA ? Kind.Pkt : off === SKB_DATA_END ? Kind.PktEnd : Kind.Mixed;
  }
  if (off < 84) return CTX_DENIED; // narrow access inside data / data_end
  if (off < 88) return u32Field(write, false, size); // napi_id
  if (off < SKB_TSTAMP) return CTX_DENIED; // family … local_port (sk_skb only), rest of data_meta, flow_keys
  if (off === SKB_TSTAMP) return size === 8 && (!write || info.skbTc) ? Kind.Scalar : CTX_DENIED;
  if (off < 160) return CTX_DENIED;
  if (off < 164) return socketFilter ? CTX_DENIED : u32Field(write, false, size); // wire_len
  if (off < 168) return u32Field(write, false, size); // gso_segs
  if (off < 176) return CTX_DENIED; // sk pointer
  if (off < 180) return u32Field(write, false, size); // gso_size
  if (off < SKB_HWTSTAMP) return CTX_DENIED; // tstamp_type and padding
  return size === 8 && !write && !socketFilter ? Kind.Scalar : CTX_DENIED;
}

/** A u32 field: narrow reads allowed, writes only whole and only where writable. */
function u32Field(write: boolean, writable: boolean, size: number): number {
  if (write) return writable && size === 4 ? Kind.Scalar : CTX_DENIED;
  return size <= 4 ? Kind.Scalar : CTX_DENIED;
}
