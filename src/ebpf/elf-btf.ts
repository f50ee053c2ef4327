/**
 * Just enough of BTF (the kernel's BPF Type Format, the `.BTF` section clang emits with -g) to read
 * BTF-defined maps: libbpf's `__uint(name, val)` is a pointer to an array of `val` elements and
 * `__type(name, T)` a pointer to T, whose size we compute by walking the type graph.
 */
import { InputError } from './errors.js';

const KIND = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10,
  RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;
const KIND_NAMES = ['void', 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile', 'const',
  'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64'];

interface BtfMember { name: string; type: number; offset: number }

export interface BtfType {
  kind: number;
  name: string;
  /** `size` for sized kinds (int, struct, union, enum, datasec, float), else the referenced type id. */
  sizeOrType: number;
  /** Struct/union members, or a DATASEC's variables (`type` = the VAR's id, `offset` = its offset). */
  members: BtfMember[];
  elem?: number;
  nelems?: number;
}

export interface Btf {
  /** Index = type id; id 0 is void. */
  types: (BtfType | undefined)[];
}

/** The map attributes a BTF map definition gives (the rest of MapDef comes from the ELF). */
export interface BtfMapAttrs { type: number; keySize: number; valueSize: number; maxEntries: number; flags: number }

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
  const str = (off: number): string => {
    if (off >= strLen) fail(`string offset ${off} out of bounds`);
    let e = sStart + off;
    while (e < sEnd && bytes[e] !== 0) e++;
    return new TextDecoder().decode(bytes.subarray(sStart + off, e));
  };
  const types: (BtfType | undefined)[] = [undefined];
  let p = tStart;
  const need = (n: number): void => { if (p + n > tEnd) fail(`type ${types.length} truncated`); };
  while (p < tEnd) {
    need(12);
    const name = str(v.getUint32(p, true));
    const info = v.getUint32(p + 4, true);
    const sizeOrType = v.getUint32(p + 8, true);
    const kind = (info >>> 24) & 0x1f, vlen = info & 0xffff;
    p += 12;
    const t: BtfType = { kind, name, sizeOrType, members: [] };
    switch (kind) {
      case KIND.INT: case KIND.VAR: case KIND.DECL_TAG: need(4); p += 4; break;
      case KIND.ARRAY:
        need(12);
        t.elem = v.getUint32(p, true);
        t.nelems = v.getUint32(p + 8, true);
        p += 12;
        break;
      case KIND.STRUCT: case KIND.UNION:
        need(12 * vlen);
        for (let i = 0; i < vlen; i++, p += 12) {
          t.members.push({ name: str(v.getUint32(p, true)), type: v.getUint32(p + 4, true), offset: v.getUint32(p + 8, true) });
        }
        break;
      case KIND.DATASEC:
        need(12 * vlen);
        for (let i = 0; i < vlen; i++, p += 12) {
          t.members.push({ name: '', type: v.getUint32(p, true), offset: v.getUint32(p + 4, true) });
        }
        break;
      case KIND.ENUM: case KIND.FUNC_PROTO: need(8 * vlen); p += 8 * vlen; break;
      case KIND.ENUM64: need(12 * vlen); p += 12 * vlen; break;
      case KIND.PTR: case KIND.FWD: case KIND.TYPEDEF: case KIND.VOLATILE: case KIND.CONST: case KIND.RESTRICT:
      case KIND.FUNC: case KIND.FLOAT: case KIND.TYPE_TAG:
        break;
      default: fail(`unknown type kind ${kind} (type ${types.length})`);
    }
    types.push(t);
  }
  return { types };
}

function typeAt(btf: Btf, id: number): BtfType {
  return btf.types[id] ?? fail(id === 0 ? 'unexpected void type' : `type id ${id} out of range`);
}

/** Follow typedefs and qualifiers to the underlying type id. */
function skipMods(btf: Btf, id: number): number {
  for (let hops = 0; hops < 64; hops++) {
    const t = typeAt(btf, id);
    if (t.kind !== KIND.TYPEDEF && t.kind !== KIND.VOLATILE && t.kind !== KIND.CONST && t.kind !== KIND.RESTRICT && t.kind !== KIND.TYPE_TAG) return id;
    id = t.sizeOrType;
  }
  return fail(`type chain too long at id ${id}`);
}

/** Size in bytes of a BTF type, as the C compiler laid it out. */
export function btfSizeOf(btf: Btf, id: number, depth = 0): number {
  if (depth > 64) fail('type nesting too deep');
  const t = typeAt(btf, skipMods(btf, id));
  switch (t.kind) {
    case KIND.INT: case KIND.STRUCT: case KIND.UNION: case KIND.ENUM: case KIND.ENUM64: case KIND.FLOAT: return t.sizeOrType;
    case KIND.PTR: return 8;
    case KIND.ARRAY: return (t.nelems ?? 0) * btfSizeOf(btf, t.elem ?? 0, depth + 1);
    default: return fail(`cannot size a ${KIND_NAMES[t.kind] ?? t.kind} type${t.name ? ` '${t.name}'` : ''}`);
  }
}

/** The VAR named `name` in DATASEC `secName`, and the type id it declares. */
function findVar(btf: Btf, secName: string, name: string): number | undefined {
  for (const t of btf.types) {
    if (!t || t.kind !== KIND.DATASEC || t.name !== secName) continue;
    for (const m of t.members) {
      const vt = btf.types[m.type];
      if (vt?.kind === KIND.VAR && vt.name === name) return vt.sizeOrType;
    }
  }
  return undefined;
}

/** Attributes of the BTF-defined map variable `name` in the `.maps` section. */
export function btfMapAttrs(btf: Btf, name: string): BtfMapAttrs {
  const varType = findVar(btf, '.maps', name) ?? fail(`no variable '${name}' in the .maps DATASEC`);
  const st = typeAt(btf, skipMods(btf, varType));
  if (st.kind !== KIND.STRUCT) fail(`map '${name}' is a ${KIND_NAMES[st.kind] ?? st.kind}, expected a struct`);
  const ptrTarget = (m: BtfMember): number => {
    const pt = typeAt(btf, skipMods(btf, m.type));
    if (pt.kind !== KIND.PTR) fail(`map '${name}' field '${m.name}' is not a pointer (expected __uint/__type)`);
    return pt.sizeOrType;
  };
  // __uint(field, val): int (*field)[val] — the value is the array's element count.
  const uint = (m: BtfMember): number => {
    const arr = typeAt(btf, skipMods(btf, ptrTarget(m)));
    if (arr.kind !== KIND.ARRAY) fail(`map '${name}' field '${m.name}' is not __uint(...) (pointer to array)`);
    return arr.nelems ?? 0;
  };
  const a: BtfMapAttrs = { type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0 };
  let keyFromType: number | undefined, valueFromType: number | undefined;
  for (const m of st.members) {
    switch (m.name) {
      case 'type': a.type = uint(m); break;
      case 'max_entries': a.maxEntries = uint(m); break;
      case 'map_flags': a.flags = uint(m); break;
      case 'key_size': a.keySize = uint(m); break;
      case 'value_size': a.valueSize = uint(m); break;
      case 'key': keyFromType = btfSizeOf(btf, ptrTarget(m)); break;
      case 'value': valueFromType = btfSizeOf(btf, ptrTarget(m)); break;
      default: break; // pinning, numa_node, values (map-in-map), map_extra: not modelled.
    }
  }
  const merge = (what: string, sized: number, typed: number | undefined): number => {
    if (typed === undefined) return sized;
    if (sized !== 0 && sized !== typed) fail(`map '${name}': ${what}_size ${sized} conflicts with sizeof(${what}) ${typed}`);
    return typed;
  };
  a.keySize = merge('key', a.keySize, keyFromType);
  a.valueSize = merge('value', a.valueSize, valueFromType);
  return a;
}
