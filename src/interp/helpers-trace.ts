/**
 * Helpers of tracing programs: the current task, time, kernel/user memory reads, stacks, trace
 * output, sequence files. Answers come from the input's environment model (environment.ts); each
 * call is noted with usedEnvironment so a differential test can tell which inputs depend on it.
 */
import { HELPER_IDS } from '../ebpf/helpers.js';
import { DEFAULT_COMM, DEFAULT_TASK, readKernelMemory } from './environment.js';
import { mapArg, ret, ret64, u32, u64, usedEnvironment, writeArg, type HelperFn } from './helper-base.js';
import type { Machine } from './machine.js';
import { ERRNO } from './maps.js';
import { formatPrintk } from './printk.js';

const H = HELPER_IDS;

function readMemory(m: Machine, addr: bigint, size: number): Uint8Array | undefined {
  // Memory the interpreter models (context, stack, maps) reads as itself.
  if (addr < 0x1_0000_0000n && size > 0) {
    try {
      return m.mem.readBytes(0, Number(addr) | 0, size);
    } catch { /* not in a region: the environment's memory */ }
  }
  return readKernelMemory(m.input, addr, size);
}

/** probe_read / probe_read_kernel / probe_read_user (dst, size, src): 0, or −EFAULT with dst zeroed. */
const probeRead = (id: number): HelperFn => (m) => {
  usedEnvironment(m, id);
  const size = u32(m, 2);
  const data = readMemory(m, u64(m, 3), size);
  writeArg(m, 1, data ?? new Uint8Array(size));
  ret(m, data ? 0 : -ERRNO.EFAULT);
};

/** The *_str variants: copy up to size − 1 bytes until a NUL, then a NUL; return the length with it. */
const probeReadStr = (id: number): HelperFn => (m) => {
  usedEnvironment(m, id);
  const size = u32(m, 2);
  if (size === 0) { ret(m, 0); return; }
  const src = u64(m, 3);
  const out: number[] = [];
  for (let i = 0; i < size - 1; i++) {
    const b = readMemory(m, src + BigInt(i), 1);
    if (!b) { writeArg(m, 1, new Uint8Array(size)); ret(m, -ERRNO.EFAULT); return; }
    if (b[0] === 0) break;
    out.push(b[0]!);
  }
  out.push(0);
  writeArg(m, 1, Uint8Array.from(out));
  ret(m, out.length);
};

const getCurrentComm: HelperFn = (m) => {
  usedEnvironment(m, H.get_current_comm);
  const size = u32(m, 2);
  const comm = new TextEncoder().encode(m.input.comm ?? DEFAULT_COMM).subarray(0, 15); // TASK_COMM_LEN 16
  const out = new Uint8Array(size);
  out.set(comm.subarray(0, Math.max(0, size - 1)));
  writeArg(m, 1, out);
  ret(m, 0);
};

const BPF_F_USER_BUILD_ID = 1 << 11;

/** The call chain after `flags & 0xff` skipped frames, or undefined when there is none. */
function stackOf(m: Machine, flags: number): readonly bigint[] | undefined {
  const s = m.input.stack;
  return s && s.length > 0 ? s.slice(flags & 0xff) : undefined;
}

/** get_stack(ctx, buf, size, flags) and get_task_stack(task, buf, size, flags). */
const getStack = (id: number): HelperFn => (m) => {
  usedEnvironment(m, id);
  const size = u32(m, 3);
  const flags = u32(m, 4);
  const out = new Uint8Array(size);
  const elem = flags & BPF_F_USER_BUILD_ID ? 32 : 8;
  const s = stackOf(m, flags);
  if ((flags & ~(0xff | (1 << 8) | BPF_F_USER_BUILD_ID)) !== 0 || m.hi[4] !== 0 || size % elem !== 0 || (flags & BPF_F_USER_BUILD_ID && !(flags & (1 << 8)))) {
    writeArg(m, 2, out); ret(m, -ERRNO.EINVAL); return;
  }
  if (!s || elem !== 8) { writeArg(m, 2, out); ret(m, -ERRNO.EFAULT); return; }
  const n = Math.min(s.length, size / 8);
  const v = new DataView(out.buffer);
  for (let i = 0; i < n; i++) v.setBigUint64(8 * i, s[i]!, true);
  writeArg(m, 2, out);
  ret(m, n * 8);
};

/**
 * get_stackid(ctx, map, flags): the chain's bucket in a stack-trace map (FNV-1a of its addresses,
 * masked to the next power of two of max_entries — not the kernel's jhash2: ids are stable and
 * deterministic but not the kernel's numbers; perf_event programs cannot be test-run anyway).
 */
const getStackid: HelperFn = (m) => {
  usedEnvironment(m, H.get_stackid);
  const map = mapArg(m, 2, "get_stackid");
  const flags = u32(m, 3);
  if ((flags & ~(0xff | (1 << 8) | (1 << 9) | (1 << 10))) !== 0 || m.hi[3] !== 0) { ret(m, -ERRNO.EINVAL); return; }
  const s = stackOf(m, flags);
  if (!s) { ret(m, -ERRNO.EFAULT); return; }
  const n = Math.min(s.length, Math.floor(map.def.valueSize / 8));
  const value = new Uint8Array(map.def.valueSize);
  const v = new DataView(value.buffer);
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) {
    v.setBigUint64(8 * i, s[i]!, true);
    for (let b = 0; b < 8; b++) h = Math.imul(h ^ value[8 * i + b]!, 0x01000193);
  }
  let buckets = 1;
  while (buckets < map.def.maxEntries) buckets *= 2;
  const id = (h >>> 0) & (buckets - 1);
  const key = new Uint8Array(new Uint32Array([id]).buffer);
  const have = map.lookup(key);
  if (have !== 0 && !(flags & (1 << 10))) {
    const old = m.mem.readBytes(0, have, map.def.valueSize);
    if (old.some((x, i) => x !== value[i])) { ret(m, -ERRNO.EEXIST); return; }
  }
  map.update(key, value, 0);
  ret(m, id);
};

/** trace_printk(fmt, size, a1, a2, a3): the formatted line is a side effect; r0 its length or −EINVAL. */
const tracePrintk: HelperFn = (m) => {
  const fmt = m.mem.readBytes(m.hi[1]!, m.lo[1]!, u32(m, 2));
  const line = formatPrintk(m, fmt, [u64(m, 3), u64(m, 4), u64(m, 5)]);
  if (line === undefined) { ret(m, -ERRNO.EINVAL); return; }
  (m.sideEffects.trace ??= []).push(line);
  ret(m, new TextEncoder().encode(line).length);
};

/** trace_vprintk(fmt, size, data, data_len): up to 12 u64 arguments in memory. */
const traceVprintk: HelperFn = (m) => {
  const fmt = m.mem.readBytes(m.hi[1]!, m.lo[1]!, u32(m, 2));
  const len = u32(m, 4);
  if (len % 8 !== 0 || len > 12 * 8) { ret(m, -ERRNO.EINVAL); return; }
  const data = len === 0 ? new Uint8Array(0) : m.mem.readBytes(m.hi[3]!, m.lo[3]!, len);
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const args = Array.from({ length: len / 8 }, (_, i) => v.getBigUint64(8 * i, true));
  const line = formatPrintk(m, fmt, args);
  if (line === undefined) { ret(m, -ERRNO.EINVAL); return; }
  (m.sideEffects.trace ??= []).push(line);
  ret(m, new TextEncoder().encode(line).length);
};

/** seq_write(seq, data, len): the bytes go to the iterator's output (a side effect). */
const seqWrite: HelperFn = (m) => {
  const len = u32(m, 3);
  const data = len === 0 ? new Uint8Array(0) : m.mem.readBytes(m.hi[2]!, m.lo[2]!, len);
  (m.sideEffects.trace ??= []).push(Buffer.from(data).toString('latin1'));
  ret(m, 0);
};

const getNsCurrentPidTgid: HelperFn = (m) => {
  usedEnvironment(m, H.get_ns_current_pid_tgid);
  const size = u32(m, 4);
  const ns = m.input.pidNs;
  const out = new Uint8Array(size);
  if (size !== 8 || !ns || ns.dev !== u64(m, 1) || ns.ino !== u64(m, 2)) { writeArg(m, 3, out); ret(m, -ERRNO.EINVAL); return; }
  const v = new DataView(out.buffer);
  v.setUint32(0, ns.pid, true);
  v.setUint32(4, ns.tgid, true);
  writeArg(m, 3, out);
  ret(m, 0);
};

const envValue = (id: number, f: (m: Machine) => bigint): HelperFn => (m) => { usedEnvironment(m, id); ret64(m, f(m)); };

export function addTraceHelpers(t: (HelperFn | undefined)[]): void {
  const time = (m: Machine): bigint => m.input.timeNs ?? 1_000_000_000n;
  t[H.ktime_get_ns] = envValue(H.ktime_get_ns, time);
  t[H.ktime_get_boot_ns] = envValue(H.ktime_get_boot_ns, time);
  t[H.ktime_get_coarse_ns] = envValue(H.ktime_get_coarse_ns, time);
  t[H.get_prandom_u32] = (m) => { usedEnvironment(m, H.get_prandom_u32); m.lo[0] = m.nextRandom() | 0; m.hi[0] = 0; };
  t[H.get_smp_processor_id] = (m) => ret(m, m.input.cpu ?? 0);
  t[H.get_numa_node_id] = envValue(H.get_numa_node_id, (m) => BigInt(m.input.numaNode ?? 0));
  t[H.get_current_pid_tgid] = envValue(H.get_current_pid_tgid, (m) => m.input.pidTgid ?? ((1000n << 32n) | 1000n));
  t[H.get_current_uid_gid] = envValue(H.get_current_uid_gid, (m) => m.input.uidGid ?? 0n);
  t[H.get_current_task] = envValue(H.get_current_task, (m) => m.input.task ?? DEFAULT_TASK);
  t[H.get_current_comm] = getCurrentComm;
  t[H.get_attach_cookie] = envValue(H.get_attach_cookie, (m) => m.input.attachCookie ?? 0n);
  t[H.get_cgroup_classid] = envValue(H.get_cgroup_classid, (m) => BigInt(m.input.cgroupClassid ?? 0));
  t[H.probe_read] = probeRead(H.probe_read);
  t[H.probe_read_kernel] = probeRead(H.probe_read_kernel);
  t[H.probe_read_user] = probeRead(H.probe_read_user);
  t[H.probe_read_str] = probeReadStr(H.probe_read_str);
  t[H.probe_read_kernel_str] = probeReadStr(H.probe_read_kernel_str);
  t[H.probe_read_user_str] = probeReadStr(H.probe_read_user_str);
  t[H.get_stack] = getStack(H.get_stack);
  t[H.get_task_stack] = getStack(H.get_task_stack);
  t[H.get_stackid] = getStackid;
  t[H.trace_printk] = tracePrintk;
  t[H.trace_vprintk] = traceVprintk;
  t[H.seq_write] = seqWrite;
  t[H.get_ns_current_pid_tgid] = getNsCurrentPidTgid;
  // A BTF socket pointer is a TCP socket in the model: the helper returns its argument (0 stays 0).
  t[H.skc_to_tcp_sock] = (m) => { usedEnvironment(m, H.skc_to_tcp_sock); m.lo[0] = m.lo[1]!; m.hi[0] = m.hi[1]!; };
}

/** Direct loads through kernel pointers read the environment's memory (0 where it faults), noted as probe_read_kernel. */
export function enableProbeLoads(m: Machine): void {
  m.mem.probeRead = (addr, size) => {
    usedEnvironment(m, H.probe_read_kernel);
    return readKernelMemory(m.input, addr, size) ?? new Uint8Array(size);
  };
}
