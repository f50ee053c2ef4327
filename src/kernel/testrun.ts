/**
 * BPF_PROG_TEST_RUN on a loaded program: packet in and out, context in and out where the type
 * supports it, `repeat` and the kernel's own mean duration per run. The kernel's result is
 * 32 bits wide (its `retval` field is a u32), so r0 here is that u32.
 */
import { attachFromSection, type Program, type ProgType } from '../ebpf/program.js';
import { ATTR_BYTES, TEST_RUN, bpf, clearAttr, setU32, setU64, KernelError } from './attr.js';
import { allocNative, freeNative, type Native } from './ffi.js';
import type { Loaded } from './prog.js';

/** The kernel's test run builds an Ethernet frame and refuses data shorter than its header (EINVAL). */
export const ETH_HLEN = 14;
/** Its upper bound is about a page less head- and tailroom; we stay well below. */
export const MAX_TEST_PACKET = 3000;

/**
 * Program types whose test run takes packet data (the ones a differential test can compare). A flow
 * dissector's test run returns its struct bpf_flow_keys as the output data instead of the packet.
 */
const PACKET_TYPES = new Set<ProgType>(['xdp', 'socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'flow_dissector']);

export function canTestRun(t: ProgType): boolean {
  return PACKET_TYPES.has(t);
}

/**
 * Program types whose test run takes only a context of u64 arguments, no packet: raw tracepoints
 * (the kernel's bpf_prog_test_run_raw_tp runs the program once on a copy of ctx_in and returns r0).
 */
const ARGS_TYPES = new Set<ProgType>(['raw_tracepoint']);
/** The arguments context: u64 args[MAX_BPF_FUNC_ARGS], the interpreter's layout for these types. */
export const ARGS_CTX_BYTES = 96;

export function canTestRunArgs(t: ProgType): boolean {
  return ARGS_TYPES.has(t);
}

/**
 * Whether the kernel test-runs this program: its type takes packets, and it is not an XDP program
 * for a devmap or cpumap entry (the kernel's XDP test run refuses those attach types with EINVAL).
 */
export function canTestRunProgram(p: Pick<Program, 'progType' | 'section'>): boolean {
  if (p.progType && canTestRunArgs(p.progType)) return true;
  if (!p.progType || !canTestRun(p.progType)) return false;
  const a = p.section ? attachFromSection(p.section) : undefined;
  return a?.expectedAttachType !== 'xdp_devmap' && a?.expectedAttachType !== 'xdp_cpumap';
}

/**
 * Why the kernel's test run would refuse `packet` for this type (EINVAL), or undefined. Besides
 * the length bounds, the skb test run (6.x) insists on a whole IPv4 or IPv6 header when the
 * EtherType announces one.
 */
export function testRunRefusal(t: ProgType, packet: Uint8Array): string | undefined {
  if (canTestRunArgs(t)) return packet.length === ARGS_CTX_BYTES ? undefined : `not ${ARGS_CTX_BYTES} bytes of u64 arguments`;
  if (packet.length < ETH_HLEN) return `shorter than an Ethernet header (${ETH_HLEN} bytes)`;
  if (packet.length > MAX_TEST_PACKET) return `longer than ${MAX_TEST_PACKET} bytes`;
  if (t === 'xdp' || t === 'flow_dissector') return undefined;
  const etherType = (packet[12]! << 8) | packet[13]!;
  if (etherType === 0x0800 && packet.length < ETH_HLEN + 20) return 'an IPv4 frame cut inside its IPv4 header (the skb test run needs all 20 bytes)';
  if (etherType === 0x86dd && packet.length < ETH_HLEN + 40) return 'an IPv6 frame cut inside its IPv6 header (the skb test run needs all 40 bytes)';
  return undefined;
}

export interface TestRunInput {
  packet: Uint8Array;
  /** Context in (xdp_md / __sk_buff bytes), where the type accepts one. */
  ctx?: Uint8Array;
  /** Runs in the kernel's timing loop (default 1). */
  repeat?: number;
  /** Bytes of context to read back (0: none). */
  ctxOutSize?: number;
}

export interface TestRunResult {
  /** The program's return value (u32). */
  r0: bigint;
  /** The packet as the program left it. */
  packet: Uint8Array;
  /** Mean ns per run, as the kernel measured it over `repeat` runs. */
  durationNs: number;
  ctx?: Uint8Array;
}

function buffer(l: Loaded, which: keyof Loaded['io'], size: number): Native {
  const b = l.io[which];
  if (b && b.size >= size) return b;
  if (b) freeNative(b);
  const n = allocNative(Math.max(size, 64));
  l.io[which] = n;
  return n;
}

export function testRun(l: Loaded, input: TestRunInput): TestRunResult {
  if (l.fd < 0) throw new Error(`program ${l.name} is closed`);
  const len = input.packet.length;
  if (len < ETH_HLEN || len > MAX_TEST_PACKET) throw new KernelError('PROG_TEST_RUN', 22, `(packet of ${len} bytes: the kernel's test run takes ${ETH_HLEN}–${MAX_TEST_PACKET})`);
  const attr = buffer(l, 'attr', ATTR_BYTES);
  const dataIn = buffer(l, 'dataIn', len);
  // Room for helpers that grow the packet (xdp_adjust_head uses up to 256 bytes of headroom).
  const outSize = len + 4096;
  const dataOut = buffer(l, 'dataOut', outSize);
  dataIn.bytes.set(input.packet);
  clearAttr(attr);
  setU32(attr, TEST_RUN.progFd, l.fd);
  setU32(attr, TEST_RUN.dataSizeIn, len);
  setU32(attr, TEST_RUN.dataSizeOut, outSize);
  setU64(attr, TEST_RUN.dataIn, dataIn.addr);
  setU64(attr, TEST_RUN.dataOut, dataOut.addr);
  setU32(attr, TEST_RUN.repeat, input.repeat ?? 1);
  if (input.ctx) setCtxIn(l, attr, input.ctx);
  const ctxOutSize = input.ctxOutSize ?? 0;
  if (ctxOutSize > 0) {
    const ctxOut = buffer(l, 'ctxOut', ctxOutSize);
    setU32(attr, TEST_RUN.ctxSizeOut, ctxOutSize);
    setU64(attr, TEST_RUN.ctxOut, ctxOut.addr);
  }
  runTest(l, attr);
  const v = attr.view;
  const outLen = Math.min(v.getUint32(TEST_RUN.dataSizeOut, true), outSize);
  return {
    r0: BigInt(v.getUint32(TEST_RUN.retval, true)),
    packet: dataOut.bytes.slice(0, outLen),
    durationNs: v.getUint32(TEST_RUN.duration, true),
    ...(ctxOutSize > 0 ? { ctx: l.io.ctxOut!.bytes.slice(0, Math.min(v.getUint32(TEST_RUN.ctxSizeOut, true), ctxOutSize)) } : {}),
  };
}

/**
 * A raw tracepoint's test run: `args` (the u64 arguments) as ctx_in, nothing else — the kernel
 * refuses data, ctx_out, repeat and duration for this type (EINVAL). Runs on the calling CPU.
 */
export function testRunArgs(l: Loaded, args: Uint8Array): bigint {
  if (l.fd < 0) throw new Error(`program ${l.name} is closed`);
  if (args.length === 0 || args.length > ARGS_CTX_BYTES || args.length % 8 !== 0) throw new KernelError('PROG_TEST_RUN', 22, `(${args.length} bytes of arguments: the kernel takes 8–${ARGS_CTX_BYTES}, a multiple of 8)`);
  const attr = buffer(l, 'attr', ATTR_BYTES);
  clearAttr(attr);
  setU32(attr, TEST_RUN.progFd, l.fd);
  setCtxIn(l, attr, args);
  runTest(l, attr);
  return BigInt(attr.view.getUint32(TEST_RUN.retval, true));
}

/** ctx_in: the bytes in the program's ctxIn buffer, its size and address in the attributes. */
function setCtxIn(l: Loaded, attr: Native, bytes: Uint8Array): void {
  const ctxIn = buffer(l, 'ctxIn', bytes.length);
  ctxIn.bytes.set(bytes);
  setU32(attr, TEST_RUN.ctxSizeIn, bytes.length);
  setU64(attr, TEST_RUN.ctxIn, ctxIn.addr);
}

/** BPF_PROG_TEST_RUN with the attributes set; a kernel error names the program. */
function runTest(l: Loaded, attr: Native): void {
  try {
    bpf('PROG_TEST_RUN', attr, TEST_RUN.size);
  } catch (e) {
    if (e instanceof KernelError) e.message = `${l.name}: ${e.message}`;
    throw e;
  }
}
