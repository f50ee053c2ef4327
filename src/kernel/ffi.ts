/**
 * The one native boundary of the kernel oracle: koffi bindings to libc's syscall(2) (for bpf()),
 * close(2) and the thread's CPU affinity, plus native buffers whose addresses go into bpf_attr.
 * koffi is loaded lazily, so a machine without it (or without bpf()) only loses the oracle.
 */
import { createRequire } from 'node:module';

type Koffi = typeof import('koffi');

/** Memory outside the V8 heap: it never moves, so its address can be written into bpf_attr. */
export interface Native {
  addr: bigint;
  size: number;
  bytes: Uint8Array;
  view: DataView;
}

interface Libc {
  koffi: Koffi;
  syscall: (...args: unknown[]) => number | bigint;
  close: (fd: number) => number;
  getAffinity: (pid: number, size: number, mask: bigint) => number;
  setAffinity: (pid: number, size: number, mask: bigint) => number;
  mmap: (addr: null, len: number, prot: number, flags: number, fd: number, off: number) => unknown;
  munmap: (addr: unknown, len: number) => number;
}

export const SYS_BPF: Partial<Record<string, number>> = { x64: 321, arm64: 280, riscv64: 280, loong64: 280, ia32: 357, arm: 386 };

let libc: Libc | undefined;
let loadFailure: string | undefined;

/** The bindings, or why they cannot be had (koffi missing, not Linux, unknown architecture). */
export function libcOrReason(): Libc | string {
  if (libc) return libc;
  if (loadFailure) return loadFailure;
  try {
    if (process.platform !== 'linux') throw new Error(`bpf() exists only on Linux (this is ${process.platform})`);
    if (SYS_BPF[process.arch] === undefined) throw new Error(`no bpf() syscall number known for ${process.arch}`);
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    const lib = koffi.load('libc.so.6');
    libc = {
      koffi,
      // syscall(2) is variadic: declare it so, and pass each argument with its C type.
      syscall: lib.func('long syscall(long, ...)') as Libc['syscall'],
      close: lib.func('int close(int)') as Libc['close'],
      getAffinity: lib.func('int sched_getaffinity(int, size_t, void *)') as Libc['getAffinity'],
      setAffinity: lib.func('int sched_setaffinity(int, size_t, void *)') as Libc['setAffinity'],
      mmap: lib.func('void *mmap(void *, size_t, int, int, int, long)') as Libc['mmap'],
      munmap: lib.func('int munmap(void *, size_t)') as Libc['munmap'],
    };
    return libc;
  } catch (e) {
    loadFailure = `koffi could not bind libc (${(e as Error).message.split('\n')[0]})`;
    return loadFailure;
  }
}

function need(): Libc {
  const l = libcOrReason();
  if (typeof l === 'string') throw new Error(l);
  return l;
}

export function allocNative(size: number): Native {
  const k = need().koffi;
  const n = Math.max(size, 8);
  const addr = k.alloc('uint8_t', n) as unknown as bigint;
  const ab = k.view(addr, n);
  const bytes = new Uint8Array(ab);
  bytes.fill(0);
  return { addr, size: n, bytes, view: new DataView(ab) };
}

export function freeNative(b: Native): void {
  need().koffi.free(b.addr);
}

/** A shared read-only mapping of `size` bytes of an fd (a BPF_F_MMAPABLE array's values), or undefined. */
export function mapShared(fd: number, size: number): { bytes: Uint8Array; ptr: unknown; size: number } | undefined {
  const l = need();
  const PROT_READ = 1, MAP_SHARED = 1;
  const ptr = l.mmap(null, size, PROT_READ, MAP_SHARED, fd, 0);
  if (ptr === null || l.koffi.address(ptr) === 0xffff_ffff_ffff_ffffn) return undefined;
  return { bytes: new Uint8Array(l.koffi.view(ptr, size)), ptr, size };
}

export function unmapShared(m: { ptr: unknown; size: number }): void {
  need().munmap(m.ptr, m.size);
}

/** bpf(cmd, attr, size): the result (≥ 0) or −errno. */
export function sysBpf(cmd: number, attr: Native, size: number): number {
  const l = need();
  const r = Number(l.syscall(SYS_BPF[process.arch]!, 'int', cmd, 'void *', attr.addr, 'unsigned int', size));
  return r < 0 ? -l.koffi.errno() : r;
}

export function closeFd(fd: number): void {
  if (fd >= 0) need().close(fd);
}

const MASK_BYTES = 128; // room for 1024 CPUs, like glibc's cpu_set_t

/** CPUs the calling thread may run on. */
export function allowedCpus(): number[] {
  const l = need();
  const mask = allocNative(MASK_BYTES);
  try {
    if (l.getAffinity(0, MASK_BYTES, mask.addr) < 0) return [];
    const out: number[] = [];
    for (let i = 0; i < MASK_BYTES * 8; i++) if (mask.bytes[i >> 3]! & (1 << (i & 7))) out.push(i);
    return out;
  } finally {
    freeNative(mask);
  }
}

/**
 * Pins the calling thread (Node's main thread, where koffi calls run) to one CPU, so that
 * BPF_PROG_TEST_RUN always runs there and per-CPU map values land in a known slot.
 * Returns a function that restores the previous affinity.
 */
export function pinToCpu(cpu: number): () => void {
  const l = need();
  const before = allowedCpus();
  const set = (cpus: number[]): void => {
    const mask = allocNative(MASK_BYTES);
    try {
      for (const c of cpus) mask.bytes[c >> 3] = mask.bytes[c >> 3]! | (1 << (c & 7));
      if (l.setAffinity(0, MASK_BYTES, mask.addr) < 0) throw new Error(`sched_setaffinity to CPU ${cpus.join(',')} failed (errno ${l.koffi.errno()})`);
    } finally {
      freeNative(mask);
    }
  };
  set([cpu]);
  return () => { if (before.length > 0) set(before); };
}
