/**
 * BTF for the kernel oracle: loading a program's BTF object (BPF_BTF_LOAD, for func/line info and
 * map types) and finding attach targets (fentry/fexit/lsm/iter functions, tp_btf tracepoints) in
 * the running kernel's BTF, whose type ids are the ids the kernel expects.
 */
import { KIND, findType } from '../ebpf/btf.js';
import { targetBtf } from '../ebpf/kernel-btf.js';
import type { SectionAttach } from '../ebpf/program.js';
import { ATTR_BYTES, BTF_LOAD, bpf, clearAttr, setU32, setU64 } from './attr.js';
import { errnoText } from './errno.js';
import { allocNative, freeNative } from './ffi.js';

/** A loaded BTF object's fd, or why the kernel refused it (its log's last line). */
export function loadBtf(bytes: Uint8Array): { fd: number } | { reason: string } {
  const attr = allocNative(ATTR_BYTES);
  const data = allocNative(bytes.length);
  const logSize = 64 * 1024;
  const log = allocNative(logSize);
  try {
    data.bytes.set(bytes);
    clearAttr(attr);
    setU64(attr, BTF_LOAD.btf, data.addr);
    setU32(attr, BTF_LOAD.btfSize, bytes.length);
    setU64(attr, BTF_LOAD.logBuf, log.addr);
    setU32(attr, BTF_LOAD.logSize, logSize);
    setU32(attr, BTF_LOAD.logLevel, 1);
    const r = bpf('BTF_LOAD', attr, BTF_LOAD.size, [1, 7, 13, 22, 28, 95, 524]);
    if (r >= 0) return { fd: r };
    const end = log.bytes.indexOf(0);
    const text = Buffer.from(log.bytes.subarray(0, end < 0 ? logSize : end)).toString('utf8').trim().split('\n').pop() ?? '';
    return { reason: `${errnoText(-r)}${text ? `: ${text}` : ''}` };
  } finally {
    for (const b of [attr, data, log]) freeNative(b);
  }
}

/** The kernel BTF id of the attach target, or the reason it has none. */
export function attachBtfId(target: NonNullable<SectionAttach['btfTarget']>): { id: number } | { reason: string } {
  const btf = targetBtf();
  const id = findType(btf, target.name, target.kind === 'func' ? KIND.FUNC : KIND.TYPEDEF);
  return id === undefined ? { reason: `attach target ${target.kind === 'func' ? 'function' : 'tracepoint type'} '${target.name}' is not in the running kernel's BTF` } : { id };
}
