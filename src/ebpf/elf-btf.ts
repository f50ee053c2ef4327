/**
 * BTF-defined maps (the `.maps` section): libbpf's `__uint(name, val)` is a pointer to an array of
 * `val` elements, `__type(name, T)` a pointer to T (whose size we compute from the type graph) and
 * `__array(values, struct inner)` a flexible array of pointers to the inner map's definition.
 */
import { KIND, KIND_NAMES, btfSizeOf, kernelManagedFields, skipMods, typeAt, type Btf, type BtfMember } from './btf.js';
import { InputError } from './errors.js';

export { parseBtf, btfSizeOf, type Btf, type BtfType } from './btf.js';

/** The map attributes a BTF map definition gives (the rest of MapDef comes from the ELF). */
export interface BtfMapAttrs {
  type: number; keySize: number; valueSize: number; maxEntries: number; flags: number;
  /** Map-in-map: the inner map's definition (`__array(values, struct { ... })`). */
  inner?: BtfMapAttrs;
  /** Map-in-map: byte offset of the `values` array inside the definition (its initialisers are relocations there). */
  valuesOffset?: number;
  /** `__uint(map_extra, …)` (bloom filters). */
  mapExtra?: number;
  /** BTF ids of `__type(key, …)` / `__type(value, …)` (the kernel needs them for spin locks and timers). */
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  /** Spin locks, timers, … inside the value (byte ranges the kernel manages). */
  kernelManaged?: { offset: number; size: number }[];
}

function fail(msg: string): never {
  throw new InputError(`BTF: ${msg}`);
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
  return mapDefAttrs(btf, name, varType, 0);
}

function mapDefAttrs(btf: Btf, name: string, defType: number, depth: number): BtfMapAttrs {
  if (depth > 1) fail(`map '${name}': maps nested more than one level deep`);
  const st = typeAt(btf, skipMods(btf, defType));
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
      case 'key': a.btfKeyTypeId = ptrTarget(m); keyFromType = btfSizeOf(btf, a.btfKeyTypeId); break;
      case 'value': {
        a.btfValueTypeId = ptrTarget(m);
        valueFromType = btfSizeOf(btf, a.btfValueTypeId);
        const managed = kernelManagedFields(btf, a.btfValueTypeId);
        if (managed.length > 0) a.kernelManaged = managed;
        break;
      }
      case 'map_extra': a.mapExtra = uint(m); break;
      case 'values': {
        // __array(values, T): T *values[] — an array of pointers to the inner definition.
        const arr = typeAt(btf, skipMods(btf, m.type));
        if (arr.kind !== KIND.ARRAY) fail(`map '${name}' field 'values' is not __array(...)`);
        const ptr = typeAt(btf, skipMods(btf, arr.elem ?? 0));
        if (ptr.kind !== KIND.PTR) fail(`map '${name}' field 'values' is not an array of pointers`);
        a.valuesOffset = m.offset / 8;
        // Prog arrays list programs in `values`; only maps of maps have an inner map definition.
        const target = typeAt(btf, skipMods(btf, ptr.sizeOrType));
        if (target.kind === KIND.STRUCT && target.members.some((x) => x.name === 'type')) a.inner = mapDefAttrs(btf, `${name}.inner`, ptr.sizeOrType, depth + 1);
        break;
      }
      default: break; // pinning, numa_node: not needed to load or run.
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
