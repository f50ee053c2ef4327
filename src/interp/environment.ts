/**
 * The environment model: what helpers that ask the kernel about the world outside the program
 * answer, taken from the test input so runs are deterministic. Every field is optional; the
 * defaults are those of a BPF_PROG_TEST_RUN on an idle machine where the kernel has a fixed
 * answer, else a documented fixed value (README, "The interpreter's model").
 */

/** bpf_fib_lookup's answer (struct bpf_fib_lookup fields the kernel fills in). */
export interface FibAnswer {
  /** BPF_FIB_LKUP_RET_* (0 success, 1 blackhole, 2 unreachable, 3 prohibit, 4 not forwarded, 5 forwarding disabled, 7 no neighbour, 8 fragmentation needed), or a negative errno. */
  ret: number;
  /** Output device (written on success and on no-neighbour). */
  ifindex?: number;
  /** Source and destination MAC addresses, 12 hex digits each (written on success). */
  smac?: string;
  dmac?: string;
  /** MTU (written when fragmentation is needed). */
  mtu?: number;
}

export interface EnvironmentInput {
  /** get_current_uid_gid: gid << 32 | uid (default 0: root). */
  uidGid?: bigint;
  /** get_current_comm (default 'k2lab'). */
  comm?: string;
  /** get_current_task: the task_struct pointer value (default 0xffff888000100000). */
  task?: bigint;
  /** current_task_under_cgroup on a set cgroup-array slot: whether the task is in it (default false). */
  inCgroup?: boolean;
  /**
   * Kernel and user memory for probe_read*: byte i at address A ≥ 4096 is kernelMemory[(A + i) mod length].
   * Absent (the default) or below 4096: every such read faults (-EFAULT, destination zeroed).
   */
  kernelMemory?: Uint8Array;
  /** get_stack / get_task_stack / get_stackid: the call chain, innermost first (absent: -EFAULT). */
  stack?: readonly bigint[];
  /** bpf_fib_lookup's answer for a well-formed request (default: ret 4, not forwarded). */
  fib?: FibAnswer;
  /** get_ns_current_pid_tgid: the namespace (dev, inode) the task is in and its pid/tgid there (absent: -EINVAL). */
  pidNs?: { dev: bigint; ino: bigint; pid: number; tgid: number };
  numaNode?: number;
  socketCookie?: bigint;
  /** get_socket_uid (default 65534, the overflow uid of a packet without a socket). */
  socketUid?: number;
  attachCookie?: bigint;
  cgroupClassid?: number;
}

export const DEFAULT_TASK = 0xffff_8880_0010_0000n;
export const DEFAULT_COMM = 'k2lab';

/** `size` bytes of kernel/user memory at `addr`, or undefined when the read faults. */
export function readKernelMemory(env: EnvironmentInput, addr: bigint, size: number): Uint8Array | undefined {
  const mem = env.kernelMemory;
  if (!mem || mem.length === 0 || addr < 4096n) return undefined;
  const out = new Uint8Array(size);
  const start = Number(addr % BigInt(mem.length));
  for (let i = 0; i < size; i++) out[i] = mem[(start + i) % mem.length]!;
  return out;
}
