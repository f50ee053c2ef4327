/**
 * BTF (the BPF Type Format: clang's `.BTF` section, the kernel's /sys/kernel/btf/vmlinux), parsed
 * into plain records with everything the loader needs: member bit offsets and bitfield sizes,
 * int encodings, enum values, function prototypes, and where each type's record sits in the bytes
 * (so a copy can be patched for the kernel). Written from the kernel's Documentation/bpf/btf.rst.
 */
import { InputError } from './errors.js';

export const KIND = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10,
  RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;
export const KIND_NAMES = ['void', 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile', 'const',
  'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64'];

/** A struct/union member (bitOffset, bitSize 0 = not a bitfield), DATASEC variable or FUNC_PROTO parameter. */
export interface BtfMember { name: string; type: number; offset: number; bitSize: number }

export interface BtfType {
  kind: number;
  name: string;
  /** `size` for sized kinds (int, struct, union, enum, datasec, float), else the referenced type id. */
  sizeOrType: number;
  /** Struct/union members (offset in bits), a DATASEC's variables (offset in bytes, bitSize = size), parameters. */
  members: BtfMember[];
  elem?: number;
  nelems?: number;
  /** INT: signed; ENUM/ENUM64: kind_flag (signed values). */
  signed?: boolean;
  /** ENUM/ENUM64 enumerators. */
  enumerators?: { name: string; value: bigint }[];
  /** FUNC linkage / VAR linkage (vlen of FUNC, the extra u32 of VAR). */
  linkage?: number;
  /** Byte offset of this type's record inside the type area (for patching a copy). */
  at: number;
}

export interface Btf {
  /** Index = type id; id 0 is void. */
  types: (BtfType | undefined)[];
  /** The raw section (header, types, strings), for the kernel's BPF_BTF_LOAD. */
  bytes: Uint8Array;
  /** Header length and the type area's start, relative to `bytes`. */
  typeStart: number;
  /** String at an offset of the string area. */
  str(off: number): string;
}

function fail(msg: string): never {
  throw new InputError(`BTF: ${msg}`);
}

export function parseBtf(bytes: Uint8Array): Btf {
  if (bytes.length < 24) fail(`section too small (${bytes.length} bytes)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const magic = v.getUint16(0, true);
  if (magic === 0x9feb) fail('big-endian BTF is not supported');
  if (magic !== 0xeb9f) fail(`bad magic 0x${magic.toString(16)}`);
  const hdrLen = v.getUint32(4, true);
  const typeOff = v.getUint32(8, true), typeLen = v.getUint32(12, true);
  const strOff = v.getUint32(16, true), strLen = v.getUint32(20, true);
  const tStart = hdrLen + typeOff, tEnd = tStart + typeLen, sStart = hdrLen + strOff, sEnd = sStart + strLen;
  if (hdrLen < 24 || tEnd > bytes.length || sEnd > bytes.length) fail('type or string area out of bounds');
  const decoder = new TextDecoder();
  const cache = new Map<number, string>();
  const str = (off: number): string => {
    const hit = cache.get(off);
    if (hit !== undefined) return hit;
    if (off >= strLen && off !== 0) fail(`string offset ${off} out of bounds`);
    let e = sStart + off;
    while (e < sEnd && bytes[e] !== 0) e++;
    const s = decoder.decode(bytes.subarray(sStart + off, e));
    cache.set(off, s);
    return s;
  };
  const types: (BtfType | undefined)[] = [undefined];
  let p = tStart;
  const need = (n: number): void => { if (p + n > tEnd) fail(`type ${types.length} truncated`); };
  while (p < tEnd) {
    need(12);
    const at = p - tStart;
    const name = str(v.getUint32(p, true));
    const info = v.getUint32(p + 4, true);
    const sizeOrType = v.getUint32(p + 8, true);
    const kind = (info >>> 24) & 0x1f, vlen = info & 0xffff, kindFlag = (info >>> 31) === 1;
    p += 12;
    const t: BtfType = { kind, name, sizeOrType, members: [], at };
    switch (kind) {
      case KIND.INT: need(4); t.signed = (v.getUint32(p, true) >>> 24 & 1) === 1; p += 4; break;
      case KIND.VAR: need(4); t.linkage = v.getUint32(p, true); p += 4; break;
      case KIND.DECL_TAG: need(4); p += 4; break;
      case KIND.ARRAY:
        need(12);
        t.elem = v.getUint32(p, true);
        t.nelems = v.getUint32(p + 8, true);
        p += 12;
        break;
      case KIND.STRUCT: case KIND.UNION:
        need(12 * vlen);
        for (let i = 0; i < vlen; i++, p += 12) {
          const raw = v.getUint32(p + 8, true);
          // kind_flag: the offset word holds the bitfield size in its top 8 bits.
          t.members.push({ name: str(v.getUint32(p, true)), type: v.getUint32(p + 4, true), offset: kindFlag ? raw & 0xffffff : raw, bitSize: kindFlag ? raw >>> 24 : 0 });
        }
        break;
      case KIND.DATASEC:
        need(12 * vlen);
        for (let i = 0; i < vlen; i++, p += 12) {
          t.members.push({ name: '', type: v.getUint32(p, true), offset: v.getUint32(p + 4, true), bitSize: v.getUint32(p + 8, true) });
        }
        break;
      case KIND.ENUM:
        need(8 * vlen);
        t.signed = kindFlag;
        t.enumerators = [];
        for (let i = 0; i < vlen; i++, p += 8) {
          const raw = v.getUint32(p + 4, true);
          t.enumerators.push({ name: str(v.getUint32(p, true)), value: kindFlag ? BigInt(raw | 0) : BigInt(raw) });
        }
        break;
      case KIND.ENUM64:
        need(12 * vlen);
        t.signed = kindFlag;
        t.enumerators = [];
        for (let i = 0; i < vlen; i++, p += 12) {
          const u = (BigInt(v.getUint32(p + 8, true)) << 32n) | BigInt(v.getUint32(p + 4, true));
          t.enumerators.push({ name: str(v.getUint32(p, true)), value: kindFlag ? BigInt.asIntN(64, u) : u });
        }
        break;
      case KIND.FUNC_PROTO:
        need(8 * vlen);
        for (let i = 0; i < vlen; i++, p += 8) t.members.push({ name: str(v.getUint32(p, true)), type: v.getUint32(p + 4, true), offset: 0, bitSize: 0 });
        break;
      case KIND.FUNC: t.linkage = vlen; break;
      case KIND.PTR: case KIND.FWD: case KIND.TYPEDEF: case KIND.VOLATILE: case KIND.CONST: case KIND.RESTRICT:
      case KIND.FLOAT: case KIND.TYPE_TAG:
        break;
      default: fail(`unknown type kind ${kind} (type ${types.length})`);
    }
    types.push(t);
  }
  return { types, bytes, typeStart: tStart, str };
}

export function typeAt(btf: Btf, id: number): BtfType {
  return btf.types[id] ?? fail(id === 0 ? 'unexpected void type' : `type id ${id} out of range`);
}

const MODIFIERS = new Set<number>([KIND.TYPEDEF, KIND.VOLATILE, KIND.CONST, KIND.RESTRICT, KIND.TYPE_TAG]);

/** Follow typedefs and qualifiers to the underlying type id. */
export function skipMods(btf: Btf, id: number): number {
  for (let hops = 0; hops < 64; hops++) {
    if (id === 0) return 0;
    const t = typeAt(btf, id);
    if (!MODIFIERS.has(t.kind)) return id;
    id = t.sizeOrType;
  }
  return fail(`type chain too long at id ${id}`);
}

/** Size in bytes of a BTF type, as the C compiler laid it out. */
export function btfSizeOf(btf: Btf, id: number, depth = 0): number {
  if (depth > 64) fail('type nesting too deep');
  const t = typeAt(btf, skipMods(btf, id));
  switch (t.kind) {
    case KIND.INT: case KIND.STRUCT: case KIND.UNION: case KIND.ENUM: case KIND.ENUM64: case KIND.FLOAT: case KIND.DATASEC: return t.sizeOrType;
    case KIND.PTR: return 8;
    case KIND.ARRAY: return (t.nelems ?? 0) * btfSizeOf(btf, t.elem ?? 0, depth + 1);
    default: return fail(`cannot size a ${KIND_NAMES[t.kind] ?? t.kind} type${t.name ? ` '${t.name}'` : ''}`);
  }
}

/**
 * libbpf's essential name: a name without its `___flavor` suffix (the last `___` between two
 * non-underscores), so `task_struct___old` matches the kernel's `task_struct`.
 */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return name.slice(0, i + 1);
  }
  return name;
}

/** Type ids by essential name (built once per BTF, for lookups in the kernel's 100k+ types). */
const nameIndexes = new WeakMap<Btf, Map<string, number[]>>();

export function idsByEssentialName(btf: Btf, name: string): readonly number[] {
  let idx = nameIndexes.get(btf);
  if (!idx) {
    idx = new Map();
    btf.types.forEach((t, id) => {
      if (!t || t.name === '') return;
      const key = essentialName(t.name);
      const list = idx!.get(key);
      if (list) list.push(id); else idx!.set(key, [id]);
    });
    nameIndexes.set(btf, idx);
  }
  return idx.get(essentialName(name)) ?? [];
}

/** The id of the type named exactly `name` of kind `kind`, or undefined. */
export function findType(btf: Btf, name: string, kind: number): number | undefined {
  return idsByEssentialName(btf, name).find((id) => btf.types[id]!.kind === kind && btf.types[id]!.name === name);
}

/** Struct types the kernel manages inside map values (it never copies them to or from user space). */
const KERNEL_MANAGED = new Set(['bpf_spin_lock', 'bpf_timer', 'bpf_wq', 'bpf_list_head', 'bpf_list_node', 'bpf_rb_root', 'bpf_rb_node', 'bpf_refcount', 'bpf_res_spin_lock']);

/**
 * Byte ranges of kernel-managed fields (spin locks, timers, …) inside a value of type `id`: the
 * kernel zeroes them on every update from user space and in every lookup it returns, so seeded
 * values must hold zeros there to be the same state on both sides of a differential test.
 */
export function kernelManagedFields(btf: Btf, id: number, base = 0, depth = 0): { offset: number; size: number }[] {
  if (depth > 16) return [];
  const t = typeAt(btf, skipMods(btf, id));
  if (t.kind === KIND.ARRAY) {
    const elem = t.elem ?? 0, size = btfSizeOf(btf, elem);
    const inner = kernelManagedFields(btf, elem, 0, depth + 1);
    return inner.length === 0 ? [] : Array.from({ length: t.nelems ?? 0 }, (_, i) => inner.map((f) => ({ offset: base + i * size + f.offset, size: f.size }))).flat();
  }
  if (t.kind !== KIND.STRUCT && t.kind !== KIND.UNION) return [];
  if (KERNEL_MANAGED.has(t.name)) return [{ offset: base, size: t.sizeOrType }];
  return t.members.flatMap((m) => kernelManagedFields(btf, m.type, base + Math.floor(m.offset / 8), depth + 1));
}
