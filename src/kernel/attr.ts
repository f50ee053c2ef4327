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
  PROG_LOAD: 5, PROG_TEST_RUN: 10,
} as const;
type CmdName = keyof typeof BPF_CMD;

/** Byte offsets of the fields we set, per command (all little-endian on the supported arches). */
export const MAP_CREATE = { mapType: 0, keySize: 4, valueSize: 8, maxEntries: 12, mapFlags: 16, name: 28, size: 72 } as const;
export const MAP_ELEM = { mapFd: 0, key: 8, value: 16, flags: 24, size: 32 } as const;
export const PROG_LOAD = {
  progType: 0, insnCnt: 4, insns: 8, license: 16, logLevel: 24, logSize: 28, logBuf: 32, kernVersion: 40,
  progFlags: 44, name: 48, expectedAttachType: 68, logTrueSize: 140, size: 144,
} as const;
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
  raw_tracepoint: 17, cgroup_sock_addr: 18, flow_dissector: 22,
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
