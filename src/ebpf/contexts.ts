/**
 * Context layouts: what r1 points at when a program starts, per program type, as the kernel's
 * UAPI (x86-64) defines it. One place for every consumer: the interpreter builds contexts from
 * these offsets, the safety checker reads the packet-pointer fields from them.
 *
 * Packet programs (xdp_md, __sk_buff) have their fields filled from the packet and the input;
 * the others get the input's context bytes as they are (pt_regs, tracepoint records, the u64
 * argument arrays of raw_tp / tp_btf / fentry / fexit / lsm / iter, perf_event data, sock_ops).
 */

export interface ContextField {
  offset: number;
  size: number;
}

export interface ContextLayout {
  /** The C struct the kernel passes (or a description of the record). */
  struct: string;
  /** Bytes of context the interpreter provides. */
  size: number;
  fields: Readonly<Record<string, ContextField>>;
}

const f = (offset: number, size = 4): ContextField => ({ offset, size });

/** struct xdp_md. */
export const XDP_MD_LAYOUT: ContextLayout = {
  struct: 'xdp_md', size: 24,
  fields: { data: f(0), data_end: f(4), data_meta: f(8), ingress_ifindex: f(12), rx_queue_index: f(16), egress_ifindex: f(20) },
};

/** struct __sk_buff (Linux 6.x: 192 bytes, hwtstamp last). */
export const SK_BUFF_LAYOUT: ContextLayout = {
  struct: '__sk_buff', size: 192,
  fields: {
    len: f(0), pkt_type: f(4), mark: f(8), queue_mapping: f(12), protocol: f(16), vlan_present: f(20), vlan_tci: f(24),
    vlan_proto: f(28), priority: f(32), ingress_ifindex: f(36), ifindex: f(40), tc_index: f(44), cb: f(48, 20), hash: f(68),
    tc_classid: f(72), data: f(76), data_end: f(80), napi_id: f(84), family: f(88), remote_ip4: f(92), local_ip4: f(96),
    remote_ip6: f(100, 16), local_ip6: f(116, 16), remote_port: f(132), local_port: f(136), data_meta: f(140),
    flow_keys: f(144, 8), tstamp: f(152, 8), wire_len: f(160), gso_segs: f(164), sk: f(168, 8), gso_size: f(176),
    tstamp_type: f(180, 1), hwtstamp: f(184, 8),
  },
};

/** struct bpf_sock_ops (224 bytes). */
export const SOCK_OPS_LAYOUT: ContextLayout = {
  struct: 'bpf_sock_ops', size: 224,
  fields: {
    op: f(0), args: f(4, 16), reply: f(4), family: f(20), remote_ip4: f(24), local_ip4: f(28), remote_ip6: f(32, 16),
    local_ip6: f(48, 16), remote_port: f(64), local_port: f(68), is_fullsock: f(72), snd_cwnd: f(76), srtt_us: f(80),
    bpf_sock_ops_cb_flags: f(84), state: f(88), rtt_min: f(92), snd_ssthresh: f(96), rcv_nxt: f(100), snd_nxt: f(104),
    snd_una: f(108), mss_cache: f(112), ecn_flags: f(116), rate_delivered: f(120), rate_interval_us: f(124),
    packets_out: f(128), retrans_out: f(132), total_retrans: f(136), segs_in: f(140), data_segs_in: f(144),
    segs_out: f(148), data_segs_out: f(152), lost_out: f(156), sacked_out: f(160), sk_txhash: f(164),
    bytes_received: f(168, 8), bytes_acked: f(176, 8), sk: f(184, 8), skb_data: f(192, 8), skb_data_end: f(200, 8),
    skb_len: f(208), skb_tcp_flags: f(212), skb_hwtstamp: f(216, 8),
  },
};

/** struct pt_regs on x86-64 (kprobe, uprobe, usdt, ksyscall). PT_REGS_PARM1..5 = di, si, dx, cx, r8; RC = ax. */
export const PT_REGS_LAYOUT: ContextLayout = {
  struct: 'pt_regs', size: 168,
  fields: {
    r15: f(0, 8), r14: f(8, 8), r13: f(16, 8), r12: f(24, 8), bp: f(32, 8), bx: f(40, 8), r11: f(48, 8), r10: f(56, 8),
    r9: f(64, 8), r8: f(72, 8), ax: f(80, 8), cx: f(88, 8), dx: f(96, 8), si: f(104, 8), di: f(112, 8), orig_ax: f(120, 8),
    ip: f(128, 8), cs: f(136, 8), flags: f(144, 8), sp: f(152, 8), ss: f(160, 8),
  },
};

/** struct bpf_perf_event_data: the registers, then sample_period and addr. */
export const PERF_EVENT_LAYOUT: ContextLayout = {
  struct: 'bpf_perf_event_data', size: 184,
  fields: { ...PT_REGS_LAYOUT.fields, sample_period: f(168, 8), addr: f(176, 8) },
};

/**
 * A tracepoint's raw record: the 8-byte common header, then the event's fields (their offsets are
 * in tracefs' `format` file; 256 bytes cover the corpus's events; the verifier bounds reads).
 */
export const TRACEPOINT_LAYOUT: ContextLayout = {
  struct: 'tracepoint record', size: 256,
  fields: { common_type: f(0, 2), common_flags: f(2, 1), common_preempt_count: f(3, 1), common_pid: f(4) },
};

/** u64 args[MAX_BPF_FUNC_ARGS]: raw_tp, tp_btf, fentry/fexit, lsm, iter (pointers to the iterated objects). */
export const ARGS_LAYOUT: ContextLayout = {
  struct: 'u64 args[12]', size: 96,
  fields: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`arg${i}`, f(8 * i, 8)])),
};

/** Context bytes for a program type the interpreter has no layout for (K2's raw input). */
export const RAW_LAYOUT: ContextLayout = { struct: 'raw bytes', size: 64, fields: {} };

/** The layout r1 points at for a program type (kernel names, plus libbpf's tracing kinds). */
export function contextLayout(progType: string | undefined): ContextLayout {
  switch (progType) {
    case 'xdp': return XDP_MD_LAYOUT;
    case 'socket_filter': case 'sched_cls': case 'sched_act': case 'cgroup_skb': case 'lwt_in': case 'lwt_out': case 'lwt_xmit':
    case 'sk_skb': case 'flow_dissector':
      return SK_BUFF_LAYOUT;
    case 'sock_ops': return SOCK_OPS_LAYOUT;
    case 'kprobe': return PT_REGS_LAYOUT;
    case 'perf_event': return PERF_EVENT_LAYOUT;
    case 'tracepoint': return TRACEPOINT_LAYOUT;
    case 'raw_tracepoint': case 'raw_tracepoint_writable': case 'tracing': case 'lsm': return ARGS_LAYOUT;
    default: return RAW_LAYOUT;
  }
}

/** A field's offset, for code that names one field (throws on a typo: a bug, not bad input). */
export function fieldOffset(layout: ContextLayout, name: string): number {
  const fl = layout.fields[name];
  if (!fl) throw new Error(`context ${layout.struct} has no field ${name}`);
  return fl.offset;
}
