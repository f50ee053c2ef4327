/**
 * The `.BTF.ext` section clang emits with -g: per code section, function info (which BTF FUNC starts
 * at which instruction), line info (source line per instruction) and CO-RE relocation records.
 * Layout from the kernel's Documentation/bpf/btf.rst and libbpf's object format; instruction
 * offsets here are in bytes from the start of their ELF section, as clang writes them.
 */
import type { Btf } from './btf.js';
import { InputError } from './errors.js';

export interface FuncInfo { insnOff: number; typeId: number }
export interface LineInfo { insnOff: number; fileNameOff: number; lineOff: number; lineCol: number }

/** CO-RE relocation kinds (enum bpf_core_relo_kind). */
export const CORE_KIND = {
  FIELD_BYTE_OFFSET: 0, FIELD_BYTE_SIZE: 1, FIELD_EXISTS: 2, FIELD_SIGNED: 3, FIELD_LSHIFT_U64: 4, FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6, TYPE_ID_TARGET: 7, TYPE_EXISTS: 8, TYPE_SIZE: 9, ENUMVAL_EXISTS: 10, ENUMVAL_VALUE: 11, TYPE_MATCHES: 12,
} as const;
export const CORE_KIND_NAMES = ['byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64',
  'local_type_id', 'target_type_id', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches'];

export interface CoreRelo { insnOff: number; typeId: number; access: string; kind: number }

export interface BtfExt {
  /** Keyed by ELF section name. */
  funcInfo: Map<string, FuncInfo[]>;
  lineInfo: Map<string, LineInfo[]>;
  coreRelos: Map<string, CoreRelo[]>;
}

function fail(msg: string): never {
  throw new InputError(`.BTF.ext: ${msg}`);
}

export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  if (bytes.length < 24) fail(`section too small (${bytes.length} bytes)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (v.getUint16(0, true) !== 0xeb9f) fail(`bad magic 0x${v.getUint16(0, true).toString(16)}`);
  const hdrLen = v.getUint32(4, true);
  const area = (off: number, len: number, minRec: number, read: (p: number) => void, secs: (name: string, n: number) => void): void => {
    if (len === 0) return;
    let p = hdrLen + off;
    const end = p + len;
    if (end > bytes.length) fail('info area out of bounds');
    const recSize = v.getUint32(p, true);
    if (recSize < minRec) fail(`record size ${recSize} < ${minRec}`);
    p += 4;
    while (p < end) {
      if (p + 8 > end) fail('truncated section header');
      const name = btf.str(v.getUint32(p, true));
      const n = v.getUint32(p + 4, true);
      p += 8;
      if (p + n * recSize > end) fail(`records of '${name}' run past the area`);
      secs(name, n);
      for (let i = 0; i < n; i++, p += recSize) read(p);
    }
  };
  const out: BtfExt = { funcInfo: new Map(), lineInfo: new Map(), coreRelos: new Map() };
  let cur: unknown[] = [];
  const into = <T>(m: Map<string, T[]>) => (name: string): void => {
    const list = m.get(name) ?? [];
    m.set(name, list);
    cur = list;
  };
  area(v.getUint32(8, true), v.getUint32(12, true), 8, (p) => cur.push({ insnOff: v.getUint32(p, true), typeId: v.getUint32(p + 4, true) }), into(out.funcInfo));
  area(v.getUint32(16, true), v.getUint32(20, true), 16, (p) => cur.push({
    insnOff: v.getUint32(p, true), fileNameOff: v.getUint32(p + 4, true), lineOff: v.getUint32(p + 8, true), lineCol: v.getUint32(p + 12, true),
  }), into(out.lineInfo));
  if (hdrLen >= 32) {
    area(v.getUint32(24, true), v.getUint32(28, true), 16, (p) => cur.push({
      insnOff: v.getUint32(p, true), typeId: v.getUint32(p + 4, true), access: btf.str(v.getUint32(p + 8, true)), kind: v.getUint32(p + 12, true),
    }), into(out.coreRelos));
  }
  return out;
}
