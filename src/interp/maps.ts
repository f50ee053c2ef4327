/**
 * Map runtime with the kernel's semantics for lookup/update/delete: array-like maps (array, per-CPU
 * array — one CPU — prog array, devmap, cpumap, xskmap, perf event array) index a fixed arena by a u32
 * key; hash-like maps (hash, per-CPU hash, LRU) keep key → slot with BPF_ANY/NOEXIST/EXIST and
 * max_entries. Values live in one arena per map, mapped into the interpreter's address space.
 */
import { InputError } from '../ebpf/errors.js';
import { hex } from '../ebpf/hex.js';
import { MAP_TYPES, mapTypeName, type MapDef } from '../ebpf/program.js';
import { MAP_ARENA_SPAN, REGION_BASE, makeRegion, type Region } from './memory.js';

export const ERRNO = { ENOENT: 2, E2BIG: 7, EFAULT: 14, EEXIST: 17, EINVAL: 22, ENOSPC: 28, EOPNOTSUPP: 95 } as const;
export const UPDATE_FLAGS = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

/** Arena budget per map: large maps are allocated lazily only up to this many bytes. */
const MAX_ARENA_BYTES = MAP_ARENA_SPAN;

const ARRAY_LIKE = new Set<number>([
  MAP_TYPES.array, MAP_TYPES.percpu_array, MAP_TYPES.prog_array, MAP_TYPES.perf_event_array,
  MAP_TYPES.devmap, MAP_TYPES.cpumap, MAP_TYPES.xskmap, MAP_TYPES.array_of_maps,
]);
const HASH_LIKE = new Set<number>([
  MAP_TYPES.hash, MAP_TYPES.percpu_hash, MAP_TYPES.lru_hash, MAP_TYPES.lru_percpu_hash, MAP_TYPES.devmap_hash, MAP_TYPES.hash_of_maps,
]);
/** Maps whose entries hold references to other objects: an entry is "present" only once set. */
const SPARSE_ARRAY = new Set<number>([MAP_TYPES.prog_array, MAP_TYPES.devmap, MAP_TYPES.cpumap, MAP_TYPES.xskmap, MAP_TYPES.perf_event_array, MAP_TYPES.array_of_maps]);

export function isSupportedMapType(type: number): boolean {
  return ARRAY_LIKE.has(type) || HASH_LIKE.has(type);
}

export interface MapEntry {
  keyHex: string;
  valueHex: string;
}

/** A map's contents at one moment (window mode restores it once per window test and candidate). */
export interface MapSnapshot {
  /** Arena bytes [lo, hi) (the dirty range); everything else is zero. */
  lo: number;
  hi: number;
  bytes: Uint8Array;
  keys: [string, number][];
  keyVersion: number;
  freeSlots: number[];
  nextSlot: number;
}

/** Versions of key sets, unique across all maps: equal versions mean equal key → slot tables. */
let keyVersions = 0;

export class MapState {
  readonly def: MapDef;
  readonly index: number;
  readonly region: Region;
  readonly arrayLike: boolean;
  readonly sparse: boolean;
  /** Hash maps: key hex → slot. Sparse arrays: present indices (as hex keys). */
  private readonly slots = new Map<string, number>();
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  /** Byte range of the arena that may hold non-zero bytes: only that much is cleared per run. */
  private dirtyLo = Infinity;
  private dirtyHi = 0;
  /** Changes whenever `slots` changes, so restoring an unchanged key set costs nothing. */
  private keyVersion = 0;

  constructor(def: MapDef, index: number) {
    if (!isSupportedMapType(def.type)) throw new InputError(`map '${def.name}': unsupported map type ${mapTypeName(def.type)}`);
    this.def = def;
    this.index = index;
    this.arrayLike = ARRAY_LIKE.has(def.type);
    this.sparse = SPARSE_ARRAY.has(def.type);
    const bytes = def.maxEntries * def.valueSize;
    if (bytes > MAX_ARENA_BYTES) throw new InputError(`map '${def.name}': ${def.maxEntries} × ${def.valueSize} bytes exceeds the interpreter's ${MAX_ARENA_BYTES}-byte map budget`);
    // Prog arrays, perf event arrays etc. hold kernel object ids that programs cannot read.
    const readable = !this.sparse || def.type === MAP_TYPES.devmap || def.type === MAP_TYPES.cpumap;
    this.region = makeRegion(`map '${def.name}' value`, REGION_BASE.mapValues + index * MAP_ARENA_SPAN, new Uint8Array(bytes), readable, readable ? bytes : 0);
  }

  get handle(): number {
    return REGION_BASE.mapHandle + this.def.fd * 16;
  }

  /** Marks the arena as possibly written (a direct map-value pointer was handed out). */
  touch(): void {
    this.markDirty(0, this.def.maxEntries);
  }

  private markDirty(slot: number, slots = 1): void {
    const lo = slot * this.def.valueSize;
    if (lo < this.dirtyLo) this.dirtyLo = lo;
    const hi = lo + slots * this.def.valueSize;
    if (hi > this.dirtyHi) this.dirtyHi = hi;
  }

  /** Empties the map for a new run. */
  clear(): void {
    if (this.dirtyHi > 0) {
      this.region.bytes.fill(0, this.dirtyLo, this.dirtyHi);
      this.dirtyLo = Infinity;
      this.dirtyHi = 0;
    }
    if (this.slots.size > 0) { this.slots.clear(); this.keyVersion = ++keyVersions; }
    if (this.freeSlots.length > 0) this.freeSlots.length = 0;
    this.nextSlot = 0;
  }

  /** Sets one arena byte (window counterexamples patch the first value slot). */
  poke(offset: number, byte: number): void {
    this.markDirty(Math.floor(offset / this.def.valueSize));
    this.region.bytes[offset] = byte;
  }

  snapshot(): MapSnapshot {
    const [lo, hi] = this.dirtyRange;
    return {
      lo, hi: Math.max(lo, hi), bytes: this.region.bytes.slice(lo, Math.max(lo, hi)), keys: [...this.slots], keyVersion: this.keyVersion,
      freeSlots: this.freeSlots.slice(), nextSlot: this.nextSlot,
    };
  }

  /** Back to `snap`'s contents; allocates only when the key set differs from the snapshot's. */
  restore(snap: MapSnapshot): void {
    const arena = this.region.bytes;
    if (this.dirtyHi > 0 && (this.dirtyLo !== snap.lo || this.dirtyHi !== snap.hi)) arena.fill(0, this.dirtyLo, this.dirtyHi);
    arena.set(snap.bytes, snap.lo);
    if (snap.hi > snap.lo) { this.dirtyLo = snap.lo; this.dirtyHi = snap.hi; } else { this.dirtyLo = Infinity; this.dirtyHi = 0; }
    if (this.keyVersion !== snap.keyVersion) {
      this.slots.clear();
      for (const [k, v] of snap.keys) this.slots.set(k, v);
      this.keyVersion = snap.keyVersion;
    }
    const fs = this.freeSlots;
    if (fs.length !== snap.freeSlots.length || fs.some((x, i) => x !== snap.freeSlots[i])) { fs.length = 0; for (const x of snap.freeSlots) fs.push(x); }
    this.nextSlot = snap.nextSlot;
  }

  /** Address of the value for a key, or 0 when absent. A returned pointer may be written through. */
  lookup(key: Uint8Array): number {
    const slot = this.slotOf(key);
    if (slot < 0) return 0;
    this.markDirty(slot);
    return this.region.base + slot * this.def.valueSize;
  }

  /** Kernel return value of bpf_map_update_elem (0 or −errno). */
  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > UPDATE_FLAGS.EXIST) return -ERRNO.EINVAL;
    if (this.arrayLike) {
      const idx = keyIndex(key);
      if (idx >= this.def.maxEntries) return -ERRNO.E2BIG;
      if (!this.sparse && flags === UPDATE_FLAGS.NOEXIST) return -ERRNO.EEXIST;
      const present = !this.sparse || this.slots.has(hex(key));
      if (this.sparse && flags === UPDATE_FLAGS.NOEXIST && present) return -ERRNO.EEXIST;
      if (this.sparse && flags === UPDATE_FLAGS.EXIST && !present) return -ERRNO.ENOENT;
      if (this.sparse && !present) { this.slots.set(hex(key), idx); this.keyVersion = ++keyVersions; }
      this.markDirty(idx);
      this.region.bytes.set(value.subarray(0, this.def.valueSize), idx * this.def.valueSize);
      return 0;
    }
    const k = hex(key);
    const existing = this.slots.get(k);
    if (existing !== undefined && flags === UPDATE_FLAGS.NOEXIST) return -ERRNO.EEXIST;
    if (existing === undefined && flags === UPDATE_FLAGS.EXIST) return -ERRNO.ENOENT;
    let slot = existing;
    if (slot === undefined) {
      if (this.slots.size >= this.def.maxEntries) return -ERRNO.E2BIG;
      slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.nextSlot++;
      this.slots.set(k, slot);
      this.keyVersion = ++keyVersions;
    }
    this.markDirty(slot);
    this.region.bytes.set(value.subarray(0, this.def.valueSize), slot * this.def.valueSize);
    return 0;
  }

  /** Kernel return value of bpf_map_delete_elem. */
  delete(key: Uint8Array): number {
    if (this.arrayLike && !this.sparse) return -ERRNO.EINVAL;
    const k = hex(key);
    const slot = this.slots.get(k);
    if (slot === undefined) return this.arrayLike && keyIndex(key) >= this.def.maxEntries ? -ERRNO.EINVAL : -ERRNO.ENOENT;
    this.slots.delete(k);
    this.keyVersion = ++keyVersions;
    this.region.bytes.fill(0, slot * this.def.valueSize, (slot + 1) * this.def.valueSize);
    if (!this.arrayLike) this.freeSlots.push(slot);
    return 0;
  }

  /** Present keys → slots of a hash map or sparse array (dense arrays: empty; every index is present). */
  get keySlots(): ReadonlyMap<string, number> {
    return this.slots;
  }

  /** Byte range of the arena that may be non-zero (empty when lo ≥ hi). */
  get dirtyRange(): readonly [number, number] {
    return [this.dirtyLo === Infinity ? 0 : this.dirtyLo, this.dirtyHi];
  }

  /** Whether a sparse array entry (prog array slot, devmap port, …) is set. */
  has(index: number): boolean {
    return this.slots.has(hex(u32Key(index)));
  }

  /** Present entries in key order (array maps: entries whose value is non-zero). */
  entries(): MapEntry[] {
    const vs = this.def.valueSize;
    const out: MapEntry[] = [];
    if (this.arrayLike && !this.sparse) {
      for (let i = 0; i < this.def.maxEntries; i++) {
        const v = this.region.bytes.subarray(i * vs, (i + 1) * vs);
        if (v.some((b) => b !== 0)) out.push({ keyHex: hex(u32Key(i)), valueHex: hex(v) });
      }
      return out;
    }
    for (const [k, slot] of this.slots) out.push({ keyHex: k, valueHex: hex(this.region.bytes.subarray(slot * vs, (slot + 1) * vs)) });
    return out.sort((a, b) => (a.keyHex < b.keyHex ? -1 : a.keyHex > b.keyHex ? 1 : 0));
  }

  private slotOf(key: Uint8Array): number {
    if (this.arrayLike) {
      const idx = keyIndex(key);
      if (idx >= this.def.maxEntries) return -1;
      if (this.sparse && !this.slots.has(hex(key))) return -1;
      return idx;
    }
    return this.slots.get(hex(key)) ?? -1;
  }
}

function keyIndex(key: Uint8Array): number {
  return ((key[0] ?? 0) | ((key[1] ?? 0) << 8) | ((key[2] ?? 0) << 16) | ((key[3] ?? 0) << 24)) >>> 0;
}

export function u32Key(i: number): Uint8Array {
  return new Uint8Array([i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, (i >>> 24) & 0xff]);
}

