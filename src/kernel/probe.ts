/**
 * Is the kernel oracle usable here? One probe per process (koffi loads, a tiny XDP program loads
 * and test-runs); when it is not, every kernel feature fails with the same one line,
 * `kernel oracle unavailable: EPERM (…)`, and tests skip with that reason.
 */
import { InputError } from '../ebpf/errors.js';
import { ATTR_BYTES, BPF_CMD, PROG_LOAD, PROG_TYPE_NUMBERS, TEST_RUN, clearAttr, setU32, setU64 } from './attr.js';
import { errnoText } from './errno.js';
import { allocNative, closeFd, freeNative, libcOrReason, sysBpf } from './ffi.js';

/** Set to `off` to behave as if bpf() were unavailable (to test the fallback paths). */
export const ORACLE_ENV = 'K2LAB_KERNEL_ORACLE';

export class KernelUnavailable extends InputError {
  constructor(reason: string) {
    super(`kernel oracle unavailable: ${reason}`);
    this.name = 'KernelUnavailable';
  }
}

let probed: { reason?: string } | undefined;

/** Why the oracle cannot be used, or undefined when it can. */
export function kernelUnavailableReason(): string | undefined {
  probed ??= { reason: probe() };
  return probed.reason === undefined ? undefined : `kernel oracle unavailable: ${probed.reason}`;
}

export function requireKernel(): void {
  kernelUnavailableReason();
  if (probed!.reason !== undefined) throw new KernelUnavailable(probed!.reason);
}

function probe(): string | undefined {
  if (process.env[ORACLE_ENV] === 'off') return `disabled by ${ORACLE_ENV}=off`;
  const lib = libcOrReason();
  if (typeof lib === 'string') return lib;
  const attr = allocNative(ATTR_BYTES);
  const text = allocNative(16);
  const license = allocNative(4);
  const data = allocNative(64);
  let fd = -1;
  try {
    text.bytes.set([0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]); // r0 = XDP_PASS; exit
    license.bytes.set([0x47, 0x50, 0x4c, 0]);
    clearAttr(attr);
    setU32(attr, PROG_LOAD.progType, PROG_TYPE_NUMBERS.xdp);
    setU32(attr, PROG_LOAD.insnCnt, 2);
    setU64(attr, PROG_LOAD.insns, text.addr);
    setU64(attr, PROG_LOAD.license, license.addr);
    fd = sysBpf(BPF_CMD.PROG_LOAD, attr, PROG_LOAD.size);
    if (fd < 0) return `${errnoText(-fd)} from BPF_PROG_LOAD${hint(-fd)}`;
    clearAttr(attr);
    setU32(attr, TEST_RUN.progFd, fd);
    setU32(attr, TEST_RUN.dataSizeIn, 14);
    setU64(attr, TEST_RUN.dataIn, data.addr);
    const r = sysBpf(BPF_CMD.PROG_TEST_RUN, attr, TEST_RUN.size);
    if (r < 0) return `${errnoText(-r)} from BPF_PROG_TEST_RUN${hint(-r)}`;
    if (attr.view.getUint32(TEST_RUN.retval, true) !== 2) return 'BPF_PROG_TEST_RUN returned a wrong value for a probe program';
    return undefined;
  } finally {
    closeFd(fd);
    for (const b of [attr, text, license, data]) freeNative(b);
  }
}

function hint(errno: number): string {
  if (errno === 1 || errno === 13) return ': needs root (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON)';
  if (errno === 38) return ': this kernel has no bpf() syscall';
  return '';
}
