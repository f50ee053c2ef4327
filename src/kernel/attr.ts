/**
 * `union bpf_attr` layouts (include/uapi/linux/bpf.h) for the commands the oracle uses, the
 * kernel's enum numbers for program types, and one call wrapper that turns a failed bpf() into
 * a one-line KernelError naming the command and the errno.
 */
import { InputError } from '../ebpf/errors.js';
import type { ProgType } from '../ebpf/program.js';
import { errnoText } from './errno.js';
import { sysBpf, type Native } from './ffi.js';

export const BPF_CMD = {
  MAP_CREATE: 0, MAP_LOOKUP_ELEM: 1, MAP_UPDATE_ELEM: 2, MAP_DELETE_ELEM: 3, MAP_GET_NEXT_KEY: 4,
  PROG_LOAD: 5, PROG_TEST_RUN: 10, BTF_LOAD: 18, MAP_FREEZE: 22,
} as const;
type CmdName = keyof typeof BPF_CMD;

/** Byte offsets of the fields we set, per command (all little-endian on the supported arches). */
export const MAP_CREATE = {
  mapType: 0, keySize: 4, valueSize: 8, maxEntries: 12, mapFlags: 16, innerMapFd: 20, name: 28, btfFd: 48,
  btfKeyTypeId: 52, btfValueTypeId: 56, size: 72,
} as const;
export const MAP_ELEM = { mapFd: 0, key: 8, value: 16, flags: 24, size: 32 } as const;
export const PROG_LOAD = {
  progType: 0, insnCnt: 4, insns: 8, license: 16, logLevel: 24, logSize: 28, logBuf: 32, kernVersion: 40,
  progFlags: 44, name: 48, expectedAttachType: 68, progBtfFd: 72, funcInfoRecSize: 76, funcInfo: 80, funcInfoCnt: 88,
  lineInfoRecSize: 92, lineInfo: 96, lineInfoCnt: 104, attachBtfId: 108, attachBtfObjFd: 112, fdArray: 120, logTrueSize: 140, size: 144,
} as const;
export const BTF_LOAD = { btf: 0, logBuf: 8, btfSize: 16, logSize: 20, logLevel: 24, logTrueSize: 28, size: 32 } as const;
export const MAP_FREEZE = { mapFd: 0, size: 4 } as const;
export const TEST_RUN = {
  progFd: 0, retval: 4, dataSizeIn: 8, dataSizeOut: 12, dataIn: 16, dataOut: 24, repeat: 32, duration: 36,
  ctxSizeIn: 40, ctxSizeOut: 44, ctxIn: 48, ctxOut: 56, flags: 64, cpu: 68, size: 80,
} as const;
/** The largest attr we build: one buffer serves every command. */
export const ATTR_BYTES = 160;

export const UPDATE = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

/** enum bpf_prog_type. */
export const PROG_TYPE_NUMBERS: Record<ProgType, number> = {
  socket_filter: 1, kprobe: 2, sched_cls: 3, sched_act: 4, tracepoint: 5, xdp: 6, perf_event: 7,
  cgroup_skb: 8, cgroup_sock: 9, lwt_in: 10, lwt_out: 11, lwt_xmit: 12, sock_ops: 13, sk_skb: 14,
  cgroup_device: 15, sk_msg: 16, raw_tracepoint: 17, cgroup_sock_addr: 18, flow_dissector: 22, cgroup_sysctl: 23,
  cgroup_sockopt: 25, tracing: 26, struct_ops: 27, ext: 28, lsm: 29, sk_lookup: 30, syscall: 31, netfilter: 32,
};

/** enum bpf_attach_type, by the names attachFromSection uses. */
export const ATTACH_TYPE_NUMBERS: Record<string, number> = {
  cgroup_inet_ingress: 0, cgroup_inet_egress: 1, cgroup_inet_sock_create: 2, cgroup_sock_ops: 3, sk_skb_stream_parser: 4,
  sk_skb_stream_verdict: 5, cgroup_device: 6, sk_msg_verdict: 7, cgroup_inet4_bind: 8, cgroup_inet6_bind: 9,
  cgroup_inet4_connect: 10, cgroup_inet6_connect: 11, cgroup_inet4_post_bind: 12, cgroup_inet6_post_bind: 13,
  cgroup_udp4_sendmsg: 14, cgroup_udp6_sendmsg: 15, flow_dissector: 17, cgroup_sysctl: 18, cgroup_udp4_recvmsg: 19,
  cgroup_udp6_recvmsg: 20, cgroup_getsockopt: 21, cgroup_setsockopt: 22, trace_raw_tp: 23, trace_fentry: 24,
  trace_fexit: 25, modify_return: 26, lsm_mac: 27, trace_iter: 28, cgroup_inet4_getpeername: 29,
  cgroup_inet6_getpeername: 30, cgroup_inet4_getsockname: 31, cgroup_inet6_getsockname: 32, xdp_devmap: 33,
  cgroup_inet_sock_release: 34, xdp_cpumap: 35, sk_lookup: 36, xdp: 37, trace_kprobe_multi: 42, netfilter: 45,
  tcx_ingress: 46, tcx_egress: 47, trace_uprobe_multi: 48,
};

/** A bpf() failure: one line, naming the command and the errno. */
export class KernelError extends InputError {
  constructor(readonly cmd: string, readonly errno: number, detail = '') {
    super(`BPF_${cmd}: ${errnoText(errno)}${detail ? ` ${detail}` : ''}`);
    this.name = 'KernelError';
  }
}

export function clearAttr(a: Native): void {
  a.bytes.fill(0, 0, ATTR_BYTES);
}

export function setU64(a: Native, off: number, v: bigint | number): void {
  a.view.setBigUint64(off, BigInt(v), true);
}

export function setU32(a: Native, off: number, v: number): void {
  a.view.setUint32(off, v >>> 0, true);
}

/** A kernel object name: at most 15 bytes of [A-Za-z0-9_.], NUL-terminated. */
export function setName(a: Native, off: number, name: string): void {
  const clean = name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
  for (let i = 0; i < clean.length; i++) a.bytes[off + i] = clean.charCodeAt(i);
}

/** bpf(cmd, attr): the result, or −errno when `soft` includes the errno; otherwise throws KernelError. */
export function bpf(cmd: CmdName, attr: Native, size: number, soft: readonly number[] = []): number {
  const r = sysBpf(BPF_CMD[cmd], attr, size);
  if (r < 0 && !soft.includes(-r)) throw new KernelError(cmd, -r);
  return r;
}
