/**
 * Map runtime with the kernel's semantics for lookup/update/delete (and push/pop/peek, reserve):
 * - dense arrays (array, per-CPU array — one CPU —, global data) index a fixed arena by a u32 key;
 *   arrays too large for the arena allocate a slot per index on first use ("lazy");
 * - sparse arrays (prog array, devmap, cpumap, xskmap, perf event array, cgroup array, array of
 *   maps) hold kernel objects: an index is present only once set;
 * - hash maps (hash, per-CPU hash, LRU, devmap hash, hash of maps, stack trace) keep key → slot with
 *   BPF_ANY/NOEXIST/EXIST and max_entries; LRU maps evict the least recently used key when full;
 * - the LPM trie finds the longest matching prefix (lpm.ts); queue/stack keep values in order;
 *   the ring buffer keeps records (ringbuf.ts).
 * Values live in one arena per map, mapped into the interpreter's address space.
 */
import { InputError } from '../ebpf/errors.js';
import { MAP_TYPES, mapTypeName, type MapDef } from '../ebpf/program.js';
import { hex, keyIndex, u32Key } from './bytes.js';
import { canonicalKey, longestMatch, maxPrefixLen, prefixLen } from './lpm.js';
import { MAP_ARENA_SPAN, REGION_BASE, makeRegion, type Region } from './memory.js';
import { RingBuffer, type RingSnapshot } from './ringbuf.js';

export { hex, fromHex, u32Key } from './bytes.js';

export const ERRNO = { ENOENT: 2, E2BIG: 7, EAGAIN: 11, EFAULT: 14, EBUSY: 16, EEXIST: 17, EINVAL: 22, ENOSPC: 28, EOPNOTSUPP: 95 } as const;
export const UPDATE_FLAGS = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;
/** Map flag: programs may not write the map (libbpf sets it on .rodata). */
const BPF_F_RDONLY_PROG = 0x80;

/** Arena budget per map: arrays larger than this allocate their slots on first use. */
const MAX_ARENA_BYTES = MAP_ARENA_SPAN;

type Kind = 'array' | 'sparse' | 'hash' | 'lpm' | 'queue' | 'stack' | 'ringbuf';

const KINDS = new Map<number, Kind>([
  [MAP_TYPES.array, 'array'], [MAP_TYPES.percpu_array, 'array'],
  [MAP_TYPES.prog_array, 'sparse'], [MAP_TYPES.perf_event_array, 'sparse'], [MAP_TYPES.devmap, 'sparse'], [MAP_TYPES.cpumap, 'sparse'],
  [MAP_TYPES.xskmap, 'sparse'], [MAP_TYPES.array_of_maps, 'sparse'], [MAP_TYPES.cgroup_array, 'sparse'],
  [MAP_TYPES.hash, 'hash'], [MAP_TYPES.percpu_hash, 'hash'], [MAP_TYPES.lru_hash, 'hash'], [MAP_TYPES.lru_percpu_hash, 'hash'],
  [MAP_TYPES.devmap_hash, 'hash'], [MAP_TYPES.hash_of_maps, 'hash'], [MAP_TYPES.stack_trace, 'hash'],
  [MAP_TYPES.lpm_trie, 'lpm'], [MAP_TYPES.queue, 'queue'], [MAP_TYPES.stack, 'stack'], [MAP_TYPES.ringbuf, 'ringbuf'],
]);
const LRU = new Set<number>([MAP_TYPES.lru_hash, MAP_TYPES.lru_percpu_hash]);
/** Sparse arrays whose values programs may read through a lookup (the rest hold kernel object ids). */
const READABLE_SPARSE = new Set<number>([MAP_TYPES.devmap, MAP_TYPES.cpumap]);
export const MAP_IN_MAP = new Set<number>([MAP_TYPES.array_of_maps, MAP_TYPES.hash_of_maps]);

/** `ringbuf`, or `30` for a type without a name here: for "map type … is not supported". */
export const mapTypeLabel = (type: number): string => (KINDS.has(type) || mapTypeName(type) !== `type ${type}` ? mapTypeName(type) : String(type));

export function isSupportedMapType(type: number): boolean {
  return KINDS.has(type);
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
  fifo?: Uint8Array[];
  ring?: RingSnapshot;
}

/** Versions of key sets, unique across all maps: equal versions mean equal key → slot tables. */
let keyVersions = 0;

export class MapState {
  readonly def: MapDef;
  readonly index: number;
  readonly region: Region;
  readonly kind: Kind;
  /** Kernel object maps and lazily allocated large arrays: present indices are in `slots`. */
  readonly arrayLike: boolean;
  readonly sparse: boolean;
  readonly lru: boolean;
  /** A dense array too large for its arena: one slot per index used, allocated on first use. */
  readonly lazy: boolean;
  /** Ring buffer maps: the records. */
  readonly ring: RingBuffer | undefined;
  /** Queue/stack maps: the values, oldest first. */
  private fifo: Uint8Array[] = [];
  /** Hash maps, LPM tries, lazy arrays: key hex → slot (LRU: least recent first). Sparse arrays: present indices. */
  private readonly slots = new Map<string, number>();
  /** LPM tries: canonical key → the key bytes last stored under it. */
  private readonly lpmKeys = new Map<string, Uint8Array>();
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  /** Byte range of the arena that may hold non-zero bytes: only that much is cleared per run. */
  private dirtyLo = Infinity;
  private dirtyHi = 0;
  /** Changes whenever `slots` changes, so restoring an unchanged key set costs nothing. */
  private keyVersion = 0;
  /** Global data: the initial value, when not all zero. */
  private readonly initial: Uint8Array | undefined;

  constructor(def: MapDef, index: number) {
    const kind = KINDS.get(def.type);
    if (!kind) throw new InputError(`map '${def.name}': map type ${mapTypeLabel(def.type)} is not supported by the interpreter`);
    if (index * MAP_ARENA_SPAN >= REGION_BASE.scratch - REGION_BASE.mapValues) throw new InputError(`map '${def.name}': more maps than the interpreter's address space holds`);
    this.def = def;
    this.index = index;
    this.kind = kind;
    this.lru = LRU.has(def.type);
    const full = def.maxEntries * def.valueSize;
    this.lazy = kind === 'array' && full > MAX_ARENA_BYTES;
    this.arrayLike = kind === 'array' || kind === 'sparse';
    this.sparse = kind === 'sparse' || this.lazy;
    const bytes = kind === 'ringbuf' ? def.maxEntries : kind === 'queue' || kind === 'stack' ? 0 : Math.min(full, MAX_ARENA_BYTES - (MAX_ARENA_BYTES % Math.max(1, def.valueSize)));
    if (kind === 'ringbuf' && bytes > MAX_ARENA_BYTES) throw new InputError(`map '${def.name}': a ${bytes}-byte ring buffer exceeds the interpreter's ${MAX_ARENA_BYTES}-byte map budget`);
    // Hash maps larger than the budget (bcc's execsnoop: 10,240 × 7,720 bytes) get an arena of the
    // budget's size: a run fails only if it holds more entries at once than that (lazy arrays alike).
    this.ring = kind === 'ringbuf' ? new RingBuffer(def.maxEntries) : undefined;
    const readable = kind !== 'sparse' || READABLE_SPARSE.has(def.type);
    const writable = readable && (def.flags & BPF_F_RDONLY_PROG) === 0;
    this.region = makeRegion(`map '${def.name}' value`, REGION_BASE.mapValues + index * MAP_ARENA_SPAN, new Uint8Array(bytes), writable, readable ? bytes : 0);
    this.initial = def.initialValue && def.initialValue.some((b) => b !== 0) ? def.initialValue.subarray(0, bytes) : undefined;
    this.fillInitial();
  }

  get handle(): number {
    return REGION_BASE.mapHandle + this.def.fd * 16;
  }

  /** Marks the arena as possibly written (a direct map-value pointer was handed out). */
  touch(): void {
    this.markDirty(0, this.lazy ? 1 : this.def.maxEntries);
  }

  private markDirty(slot: number, slots = 1): void {
    const lo = slot * this.def.valueSize;
    if (lo < this.dirtyLo) this.dirtyLo = lo;
    const hi = lo + slots * this.def.valueSize;
    if (hi > this.dirtyHi) this.dirtyHi = hi;
  }

  private fillInitial(): void {
    if (!this.initial) return;
    this.region.bytes.set(this.initial);
    if (this.dirtyLo > 0) this.dirtyLo = 0;
    if (this.dirtyHi < this.initial.length) this.dirtyHi = this.initial.length;
  }

  /** Empties the map for a new run (global data: back to its initial value). */
  clear(): void {
    if (this.dirtyHi > 0) {
      this.region.bytes.fill(0, this.dirtyLo, this.dirtyHi);
      this.dirtyLo = Infinity;
      this.dirtyHi = 0;
    }
    if (this.slots.size > 0) { this.slots.clear(); this.keyVersion = ++keyVersions; }
    if (this.lpmKeys.size > 0) this.lpmKeys.clear();
    if (this.freeSlots.length > 0) this.freeSlots.length = 0;
    this.nextSlot = 0;
    if (this.fifo.length > 0) this.fifo = [];
    if (this.ring) { this.ring.clear(); this.dirtyLo = 0; this.dirtyHi = 0; }
    this.fillInitial();
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
      ...(this.kind === 'queue' || this.kind === 'stack' ? { fifo: this.fifo.slice() } : {}),
      ...(this.ring ? { ring: this.ring.snapshot() } : {}),
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
    if (snap.fifo) this.fifo = snap.fifo.slice();
    if (snap.ring) this.ring?.restore(snap.ring);
  }

  /** Address of the value for a key, or 0 when absent. A returned pointer may be written through. */
  lookup(key: Uint8Array): number {
    const slot = this.slotOf(key);
    if (slot < 0) return 0;
    this.markDirty(slot);
    return this.region.base + slot * this.def.valueSize;
  }

  /** Array/hash of maps: the inner map's fd stored for `key`, or −1 when absent. */
  innerFd(key: Uint8Array): number {
    const slot = this.slotOf(key);
    return slot < 0 ? -1 : this.region.view.getUint32(slot * this.def.valueSize, true);
  }

  /** Kernel return value of bpf_map_update_elem (0 or −errno). */
  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > UPDATE_FLAGS.EXIST) return -ERRNO.EINVAL;
    if (this.kind === 'queue' || this.kind === 'stack' || this.kind === 'ringbuf') return -ERRNO.EINVAL;
    if (this.kind === 'array' && !this.lazy) {
      const idx = keyIndex(key);
      if (idx >= this.def.maxEntries) return -ERRNO.E2BIG;
      if (flags === UPDATE_FLAGS.NOEXIST) return -ERRNO.EEXIST;
      this.write(idx, value);
      return 0;
    }
    if (this.arrayLike) { // sparse and lazy arrays
      const idx = keyIndex(key);
      if (idx >= this.def.maxEntries) return -ERRNO.E2BIG;
      const present = this.lazy || this.slots.has(hex(key));
      if (flags === UPDATE_FLAGS.NOEXIST && present) return -ERRNO.EEXIST;
      if (flags === UPDATE_FLAGS.EXIST && !present) return -ERRNO.ENOENT;
      this.write(this.lazy ? this.lazySlot(key) : this.claimIndex(key, idx), value);
      return 0;
    }
    if (this.kind === 'lpm' && prefixLen(key) > maxPrefixLen(this.def.keySize)) return -ERRNO.EINVAL;
    const k = this.kind === 'lpm' ? canonicalKey(key) : hex(key);
    const existing = this.slots.get(k);
    if (existing !== undefined && flags === UPDATE_FLAGS.NOEXIST) return -ERRNO.EEXIST;
    if (existing === undefined && flags === UPDATE_FLAGS.EXIST) return -ERRNO.ENOENT;
    let slot = existing;
    if (slot === undefined) {
      if (this.slots.size >= this.def.maxEntries) {
        if (!this.lru || this.def.maxEntries === 0) return this.kind === 'lpm' ? -ERRNO.ENOSPC : -ERRNO.E2BIG;
        this.evictOldest();
      }
      slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.nextSlot++;
      if ((slot + 1) * this.def.valueSize > this.region.bytes.length) {
        throw new InputError(`map '${this.def.name}': a run held more of its ${this.def.maxEntries} entries than the interpreter's ${MAX_ARENA_BYTES}-byte map budget holds`);
      }
      this.slots.set(k, slot);
      this.keyVersion = ++keyVersions;
    } else if (this.lru) {
      this.makeRecent(k, slot);
    }
    if (this.kind === 'lpm') this.lpmKeys.set(k, key.slice());
    this.write(slot, value);
    return 0;
  }

  private write(slot: number, value: Uint8Array): void {
    this.markDirty(slot);
    this.region.bytes.set(value.subarray(0, this.def.valueSize), slot * this.def.valueSize);
  }

  private claimIndex(key: Uint8Array, idx: number): number {
    const k = hex(key);
    if (!this.slots.has(k)) { this.slots.set(k, idx); this.keyVersion = ++keyVersions; }
    return idx;
  }

  /** A lazy array's slot for `key` (allocated zeroed on first use). */
  private lazySlot(key: Uint8Array): number {
    const k = hex(key);
    const have = this.slots.get(k);
    if (have !== undefined) return have;
    const slot = this.nextSlot++;
    if ((slot + 1) * this.def.valueSize > this.region.bytes.length) {
      throw new InputError(`map '${this.def.name}': a run used more of its ${this.def.maxEntries} entries than the interpreter's map budget holds`);
    }
    this.slots.set(k, slot);
    this.keyVersion = ++keyVersions;
    return slot;
  }

  /** LRU: the kernel takes a node from its free or inactive lists; here, the least recently used key. */
  private evictOldest(): void {
    const [k, slot] = this.slots.entries().next().value as [string, number];
    this.slots.delete(k);
    this.region.bytes.fill(0, slot * this.def.valueSize, (slot + 1) * this.def.valueSize);
    this.freeSlots.push(slot);
  }

  private makeRecent(k: string, slot: number): void {
    this.slots.delete(k);
    this.slots.set(k, slot);
    this.keyVersion = ++keyVersions;
  }

  /** Kernel return value of bpf_map_delete_elem. */
  delete(key: Uint8Array): number {
    if (this.kind === 'queue' || this.kind === 'stack' || this.kind === 'ringbuf') return -ERRNO.EINVAL;
    if (this.kind === 'array') return -ERRNO.EINVAL;
    if (this.kind === 'lpm' && prefixLen(key) > maxPrefixLen(this.def.keySize)) return -ERRNO.EINVAL;
    const k = this.kind === 'lpm' ? canonicalKey(key) : hex(key);
    const slot = this.slots.get(k);
    if (slot === undefined) return this.arrayLike && keyIndex(key) >= this.def.maxEntries ? -ERRNO.EINVAL : -ERRNO.ENOENT;
    this.slots.delete(k);
    this.lpmKeys.delete(k);
    this.keyVersion = ++keyVersions;
    this.region.bytes.fill(0, slot * this.def.valueSize, (slot + 1) * this.def.valueSize);
    if (!this.arrayLike) this.freeSlots.push(slot);
    return 0;
  }

  /** bpf_map_push_elem on a queue or stack: −E2BIG when full, unless BPF_EXIST drops the oldest. */
  push(value: Uint8Array, flags: number): number {
    if ((flags & ~UPDATE_FLAGS.EXIST) !== 0) return -ERRNO.EINVAL;
    if (this.fifo.length >= this.def.maxEntries) {
      if (!(flags & UPDATE_FLAGS.EXIST) || this.def.maxEntries === 0) return -ERRNO.E2BIG;
      this.fifo.shift();
    }
    this.fifo.push(value.slice(0, this.def.valueSize));
    return 0;
  }

  /** bpf_map_pop_elem / peek_elem: a queue gives its oldest value, a stack its newest; undefined when empty. */
  pop(remove: boolean): Uint8Array | undefined {
    if (this.fifo.length === 0) return undefined;
    if (this.kind === 'queue') return remove ? this.fifo.shift() : this.fifo[0];
    return remove ? this.fifo.pop() : this.fifo[this.fifo.length - 1];
  }

  /** Present keys → slots of a hash map or sparse array (dense arrays: empty; every index is present). */
  get keySlots(): ReadonlyMap<string, number> {
    return this.slots;
  }

  /** Byte range of the arena that may be non-zero (empty when lo ≥ hi). */
  get dirtyRange(): readonly [number, number] {
    return [this.dirtyLo === Infinity ? 0 : this.dirtyLo, this.dirtyHi];
  }

  /** Marks ring buffer bytes [lo, hi) as written. */
  markRing(lo: number, hi: number): void {
    if (lo < this.dirtyLo) this.dirtyLo = lo;
    if (hi > this.dirtyHi) this.dirtyHi = hi;
  }

  /** Whether a sparse array entry (prog array slot, devmap port, …) is set. */
  has(index: number): boolean {
    return this.slots.has(hex(u32Key(index)));
  }

  /** Present entries in key order (arrays: entries whose value is non-zero; ring buffers: submitted records). */
  entries(): MapEntry[] {
    const vs = this.def.valueSize;
    const out: MapEntry[] = [];
    if (this.ring) return this.ring.entries();
    if (this.kind === 'queue' || this.kind === 'stack') return this.fifo.map((v, i) => ({ keyHex: hex(u32Key(i)), valueHex: hex(v) }));
    if (this.kind === 'array' && !this.lazy) {
      // Only the dirty range can hold non-zero values (difftest snapshots 65,536-entry arrays per input).
      const bytes = this.region.bytes, [lo, hi] = this.dirtyRange;
      const end = Math.min(this.def.maxEntries, Math.ceil(hi / vs));
      for (let i = Math.floor(lo / vs); i < end; i++) {
        let o = i * vs;
        const e = o + vs;
        while (o < e && bytes[o] === 0) o++;
        if (o < e) out.push({ keyHex: hex(u32Key(i)), valueHex: hex(bytes.subarray(i * vs, e)) });
      }
      return out;
    }
    for (const [k, slot] of this.slots) {
      const v = this.region.bytes.subarray(slot * vs, (slot + 1) * vs);
      if (this.lazy && !v.some((b) => b !== 0)) continue;
      out.push({ keyHex: this.kind === 'lpm' ? hex(this.lpmKeys.get(k)!) : k, valueHex: hex(v) });
    }
    return out.sort((a, b) => (a.keyHex < b.keyHex ? -1 : a.keyHex > b.keyHex ? 1 : 0));
  }

  private slotOf(key: Uint8Array): number {
    switch (this.kind) {
      case 'array': {
        const idx = keyIndex(key);
        if (idx >= this.def.maxEntries) return -1;
        return this.lazy ? this.lazySlot(key) : idx;
      }
      case 'sparse': {
        if (keyIndex(key) >= this.def.maxEntries) return -1;
        return this.slots.get(hex(key)) ?? -1;
      }
      case 'lpm':
        return longestMatch(key, [...this.slots].map(([k, s]) => [this.lpmKeys.get(k)!, s] as [Uint8Array, number])) ?? -1;
      case 'hash': {
        const k = hex(key);
        const slot = this.slots.get(k);
        if (slot === undefined) return -1;
        if (this.lru) this.makeRecent(k, slot);
        return slot;
      }
      default:
        return -1;
    }
  }
}
