/**
 * Kernel maps for a program's MapDefs: creation, element lookup/update/delete/next-key, snapshots
 * in the interpreter's MapSnapshot shape, and seeding. Per-CPU maps hold one value per possible
 * CPU (each rounded up to 8 bytes): seeds go to every CPU, snapshots show one CPU's values.
 */
import { readFileSync } from 'node:fs';
import { MAP_TYPES, mapTypeName, type MapDef } from '../ebpf/program.js';
import { fromHex, hex } from '../ebpf/hex.js';
import type { MapSnapshot } from '../interp/run.js';
import { ATTR_BYTES, MAP_CREATE, MAP_ELEM, MAP_FREEZE, UPDATE, bpf, clearAttr, setName, setU32, setU64, KernelError } from './attr.js';
import { allocNative, closeFd, freeNative, mapShared, unmapShared, type Native } from './ffi.js';

export interface KernelMap {
  def: MapDef;
  fd: number;
  perCpu: boolean;
  /** Bytes of a value as the syscalls see it (per-CPU: rounded value size × possible CPUs). */
  sysValueSize: number;
  /** Scratch buffers for syscalls on this map: attr, key, next key, value. */
  buf: { attr: Native; key: Native; next: Native; value: Native };
  /** A large plain array created BPF_F_MMAPABLE for a differential test: its values, read in place (stride: value size rounded up to 8). */
  mapped?: { bytes: Uint8Array; ptr: unknown; size: number };
}

const PER_CPU = new Set<number>([MAP_TYPES.percpu_array, MAP_TYPES.percpu_hash, MAP_TYPES.lru_percpu_hash]);
const ARRAYS = new Set<number>([MAP_TYPES.array, MAP_TYPES.percpu_array]);
/** Maps whose values programs read and write: what a differential test compares. */
const DATA_MAPS = new Set<number>([...ARRAYS, MAP_TYPES.hash, MAP_TYPES.percpu_hash, MAP_TYPES.lru_hash, MAP_TYPES.lru_percpu_hash]);

export const isDataMap = (type: number): boolean => DATA_MAPS.has(type);
export const isArrayMap = (type: number): boolean => ARRAYS.has(type);

let possible: number | undefined;

/** num_possible_cpus(): the kernel sizes per-CPU values by it (not by the online count). */
export function possibleCpus(): number {
  if (possible !== undefined) return possible;
  let n = 0;
  try {
    for (const part of readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',')) {
      const [a, b] = part.split('-').map(Number);
      n += b === undefined ? 1 : b - a! + 1;
    }
  } catch {
    n = 0;
  }
  possible = n > 0 ? n : 1;
  return possible;
}

/** Map types the kernel creates without key/value BTF (libbpf leaves it off for them). */
const NO_BTF_TYPES = new Set<number>([MAP_TYPES.perf_event_array, MAP_TYPES.cgroup_array, MAP_TYPES.stack_trace, MAP_TYPES.array_of_maps,
  MAP_TYPES.hash_of_maps, MAP_TYPES.devmap, MAP_TYPES.devmap_hash, MAP_TYPES.cpumap, MAP_TYPES.xskmap, MAP_TYPES.sockmap,
  MAP_TYPES.sockhash, MAP_TYPES.queue, MAP_TYPES.stack, MAP_TYPES.ringbuf, MAP_TYPES.prog_array]);

/** BPF_F_NO_PREALLOC: the kernel requires it for LPM tries (and allows it for hash maps). */
const BPF_F_NO_PREALLOC = 1;
const PAGE = 4096;

/**
 * The definition as the kernel will take it: LPM tries get BPF_F_NO_PREALLOC, ring buffers a
 * power-of-two page-multiple size, perf event arrays of size 0 one slot per possible CPU (libbpf's rule).
 */
export function kernelDef(def: MapDef): MapDef {
  const d = { ...def };
  if (d.type === MAP_TYPES.lpm_trie) d.flags |= BPF_F_NO_PREALLOC;
  if (d.type === MAP_TYPES.ringbuf) {
    let n = PAGE;
    while (n < d.maxEntries) n *= 2;
    d.maxEntries = n;
  }
  if (d.type === MAP_TYPES.perf_event_array && d.maxEntries === 0) d.maxEntries = possibleCpus();
  // The kernel wants ring buffers without key/value sizes and fd-sized perf event array values,
  // whatever type the object declared for documentation (cilium/ebpf's loader fixes these too).
  if (d.type === MAP_TYPES.ringbuf) { d.keySize = 0; d.valueSize = 0; }
  if (d.type === MAP_TYPES.perf_event_array) { d.keySize = 4; d.valueSize = 4; }
  if (NO_BTF_TYPES.has(d.type)) { delete d.btfKeyTypeId; delete d.btfValueTypeId; }
  return d;
}

export interface CreateOptions {
  /** Map-in-map: fd of a map like the inner ones (the kernel copies its shape). */
  innerFd?: number;
  /** The program's BTF object and the definition's key/value type ids (spin locks, timers need them). */
  btfFd?: number;
  /**
   * Create a plain array of more than 64 entries BPF_F_MMAPABLE and map it, so a differential test
   * reads it in place: BPF_MAP_LOOKUP_BATCH copies Katran's 33.5M-entry ch_rings at ~12 s per read. Programs see the
   * same map (the flag changes how the values are allocated, not what lookups return).
   */
  mmapLargeArray?: boolean;
}

const BPF_F_MMAPABLE = 1 << 10;
/**
 * Arrays of more than this many entries are mapped: BPF_MAP_LOOKUP_BATCH costs ~230 ns per entry
 * (15 ms per read of a 65,536-entry array on the team machine), a scan of the mapped values a few
 * ns per 8 bytes; up to 64 entries, element-wise lookups are as fast.
 */
const MMAP_MIN_ENTRIES = 64;

function wantsMmap(def: MapDef, opts: CreateOptions): boolean {
  return opts.mmapLargeArray === true && def.type === MAP_TYPES.array && !def.readOnly && def.initialValue === undefined
    && !def.kernelManaged && def.maxEntries > MMAP_MIN_ENTRIES;
}

export function createMap(defIn: MapDef, opts: CreateOptions = {}): KernelMap {
  const def = kernelDef(defIn);
  const perCpu = PER_CPU.has(def.type);
  const sysValueSize = perCpu ? ((def.valueSize + 7) & ~7) * possibleCpus() : def.valueSize;
  const buf = { attr: allocNative(ATTR_BYTES), key: allocNative(def.keySize), next: allocNative(def.keySize), value: allocNative(sysValueSize) };
  const a = buf.attr;
  clearAttr(a);
  setU32(a, MAP_CREATE.mapType, def.type);
  setU32(a, MAP_CREATE.keySize, def.keySize);
  setU32(a, MAP_CREATE.valueSize, def.valueSize);
  setU32(a, MAP_CREATE.maxEntries, def.maxEntries);
  const mmap = wantsMmap(def, opts);
  setU32(a, MAP_CREATE.mapFlags, def.flags | (mmap ? BPF_F_MMAPABLE : 0));
  if (opts.innerFd !== undefined) setU32(a, MAP_CREATE.innerMapFd, opts.innerFd);
  if (opts.btfFd !== undefined && def.btfValueTypeId) {
    setU32(a, MAP_CREATE.btfFd, opts.btfFd);
    setU32(a, MAP_CREATE.btfKeyTypeId, def.btfKeyTypeId ?? 0);
    setU32(a, MAP_CREATE.btfValueTypeId, def.btfValueTypeId);
  }
  setName(a, MAP_CREATE.name, def.name);
  let m: KernelMap;
  try {
    const fd = bpf('MAP_CREATE', a, MAP_CREATE.size);
    m = { def: defIn, fd, perCpu, sysValueSize, buf };
    if (mmap) {
      const page = 4096, bytes = def.maxEntries * ((def.valueSize + 7) & ~7);
      const mapped = mapShared(fd, Math.ceil(bytes / page) * page);
      if (mapped) m.mapped = mapped;
    }
  } catch (e) {
    freeBuffers(buf);
    if (e instanceof KernelError) {
      e.message = `map '${def.name}' (${mapTypeName(def.type)}, key ${def.keySize}, value ${def.valueSize}, ${def.maxEntries} entries): ${e.message}`;
    }
    throw e;
  }
  try {
    initialise(m);
  } catch (e) {
    closeMap(m);
    throw e;
  }
  return m;
}

/** Global data: entry 0 gets the section's bytes; read-only sections are frozen, as libbpf does. */
function initialise(m: KernelMap): void {
  const init = m.def.initialValue;
  if (!init) return;
  const r = update(m, new Uint8Array(4), init);
  if (r < 0) throw new KernelError('MAP_UPDATE_ELEM', -r, `(initialising global data map '${m.def.name}')`);
  if (m.def.readOnly) {
    const a = m.buf.attr;
    clearAttr(a);
    setU32(a, MAP_FREEZE.mapFd, m.fd);
    bpf('MAP_FREEZE', a, MAP_FREEZE.size);
  }
}

function freeBuffers(buf: KernelMap['buf']): void {
  for (const b of Object.values(buf)) freeNative(b);
}

export function closeMap(m: KernelMap): void {
  if (m.mapped) { unmapShared(m.mapped); delete m.mapped; }
  closeFd(m.fd);
  freeBuffers(m.buf);
  m.fd = -1;
}

function elemAttr(m: KernelMap, key: Native | null, value: Native | null, flags = 0): Native {
  const a = m.buf.attr;
  clearAttr(a);
  setU32(a, MAP_ELEM.mapFd, m.fd);
  setU64(a, MAP_ELEM.key, key ? key.addr : 0n);
  setU64(a, MAP_ELEM.value, value ? value.addr : 0n);
  setU64(a, MAP_ELEM.flags, flags);
  return a;
}

function putKey(m: KernelMap, key: Uint8Array): void {
  if (key.length !== m.def.keySize) throw new Error(`map '${m.def.name}': key of ${key.length} bytes, expected ${m.def.keySize}`);
  m.buf.key.bytes.set(key);
}

/** The whole syscall-side value (per-CPU: every CPU's slot), or undefined when the key is absent. */
export function lookupRaw(m: KernelMap, key: Uint8Array): Uint8Array | undefined {
  putKey(m, key);
  const r = bpf('MAP_LOOKUP_ELEM', elemAttr(m, m.buf.key, m.buf.value), MAP_ELEM.size, [2 /* ENOENT */]);
  return r < 0 ? undefined : m.buf.value.bytes.slice(0, m.sysValueSize);
}

/** One CPU's value (per-CPU maps) or the value. */
export function lookup(m: KernelMap, key: Uint8Array, cpu = 0): Uint8Array | undefined {
  const raw = lookupRaw(m, key);
  if (!raw || !m.perCpu) return raw;
  const stride = (m.def.valueSize + 7) & ~7;
  return raw.slice(cpu * stride, cpu * stride + m.def.valueSize);
}

/** Sets a value; per-CPU maps get the same value on every CPU. Returns 0 or −errno (kernel's). */
export function update(m: KernelMap, key: Uint8Array, value: Uint8Array, flags: number = UPDATE.ANY): number {
  putKey(m, key);
  const v = m.buf.value.bytes;
  v.fill(0, 0, m.sysValueSize);
  if (m.perCpu) {
    const stride = (m.def.valueSize + 7) & ~7;
    for (let c = 0; c < possibleCpus(); c++) v.set(value.subarray(0, m.def.valueSize), c * stride);
  } else {
    v.set(value.subarray(0, m.def.valueSize));
  }
  return bpf('MAP_UPDATE_ELEM', elemAttr(m, m.buf.key, m.buf.value, flags), MAP_ELEM.size, [2, 7, 17, 22]);
}

export function remove(m: KernelMap, key: Uint8Array): number {
  putKey(m, key);
  return bpf('MAP_DELETE_ELEM', elemAttr(m, m.buf.key, null), MAP_ELEM.size, [2, 22]);
}

/** Every key of a hash-like map (BPF_MAP_GET_NEXT_KEY from no key), in kernel order. */
export function keys(m: KernelMap): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev: Uint8Array | undefined;
  for (;;) {
    if (prev) putKey(m, prev);
    const r = bpf('MAP_GET_NEXT_KEY', elemAttr(m, prev ? m.buf.key : null, m.buf.next), MAP_ELEM.size, [2]);
    if (r < 0) return out;
    prev = m.buf.next.bytes.slice(0, m.def.keySize);
    out.push(prev);
    if (out.length > m.def.maxEntries) throw new Error(`map '${m.def.name}': more keys than max_entries while iterating`);
  }
}

function u32Key(i: number): Uint8Array {
  return new Uint8Array([i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, (i >>> 24) & 0xff]);
}

/**
 * The map's contents as the interpreter reports them: arrays list their non-zero entries,
 * hash maps every entry, sorted by key; per-CPU maps show `cpu`'s values. Maps that hold kernel
 * objects (prog arrays, devmaps, …) are not data and list no entries.
 */
export function snapshot(m: KernelMap, cpu = 0): MapSnapshot {
  const entries: { key: string; value: string }[] = [];
  if (ARRAYS.has(m.def.type)) {
    for (let i = 0; i < m.def.maxEntries; i++) {
      const k = u32Key(i);
      const v = lookup(m, k, cpu);
      if (v && v.some((b) => b !== 0)) entries.push({ key: hex(k), value: hex(v) });
    }
  } else if (DATA_MAPS.has(m.def.type)) {
    for (const k of keys(m)) {
      const v = lookup(m, k, cpu);
      if (v) entries.push({ key: hex(k), value: hex(v) });
    }
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  return { name: m.def.name, fd: m.def.fd, type: mapTypeName(m.def.type), entries };
}

/**
 * Brings a data map from state `now` (a snapshot) back to exactly `seeds` (hex key → value pairs,
 * everything else absent or zero), touching only the entries that differ.
 */
export function resetTo(m: KernelMap, now: MapSnapshot | undefined, seeds: readonly (readonly [string, string])[]): void {
  const want = new Map(seeds.map(([k, v]) => [k.toLowerCase(), v.toLowerCase()]));
  const zero = new Uint8Array(m.def.valueSize);
  if (ARRAYS.has(m.def.type)) {
    for (const e of now?.entries ?? []) if (!want.has(e.key)) update(m, fromHex(e.key), zero);
  } else if (DATA_MAPS.has(m.def.type)) {
    const present = now ? now.entries : keys(m).map((k) => ({ key: hex(k), value: '' }));
    for (const e of present) if (!want.has(e.key)) remove(m, fromHex(e.key));
  } else if (seeds.length > 0) {
    throw new Error(`map '${m.def.name}': ${mapTypeName(m.def.type)} maps cannot be seeded with data`);
  }
  const have = new Map((now?.entries ?? []).map((e) => [e.key, e.value]));
  for (const [k, v] of want) {
    if (now && have.get(k) === v && !m.perCpu) continue;
    const r = update(m, fromHex(k), fromHex(v));
    if (r < 0) throw new KernelError('MAP_UPDATE_ELEM', -r, `(seeding map '${m.def.name}' key ${k})`);
  }
}
