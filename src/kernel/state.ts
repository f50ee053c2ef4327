/**
 * Map state of a loaded program as a whole: read every map back (in the interpreter's snapshot
 * shape) and seed the maps to a given state before a run, as the interpreter's `mapSeeds` do.
 */
import type { MapSnapshot } from '../interp/run.js';
import { fromHex, hex } from '../ebpf/hex.js';
import { mapTypeName } from '../ebpf/program.js';
import { isArrayMap, isDataMap, resetTo, snapshot, type KernelMap } from './maps.js';
import type { Loaded } from './prog.js';

/** Every map's contents; per-CPU maps show `cpu`'s values (default CPU 0). */
export function readMaps(l: Loaded, cpu = 0): MapSnapshot[] {
  return l.maps.map((m) => snapshot(m, cpu));
}

/**
 * Sets the data maps to exactly `seeds` (map fd as the program names it → hex key/value pairs;
 * maps not named end up empty). `now`, a readMaps result of the current state, saves lookups.
 */
export function seedMaps(l: Loaded, seeds: ReadonlyMap<number, readonly (readonly [string, string])[]> | undefined, now?: readonly MapSnapshot[]): void {
  for (const fd of seeds?.keys() ?? []) {
    if (!l.maps.some((m) => m.def.fd === fd)) throw new Error(`map seed for unknown map fd ${fd}`);
  }
  l.maps.forEach((m, i) => {
    // Global data goes back to the object's bytes; frozen (read-only) data cannot have changed.
    if (m.def.initialValue) {
      if (!m.def.readOnly) resetTo(m, now?.[i], [['00000000', hex(m.def.initialValue)]]);
    } else if (isDataMap(m.def.type)) resetTo(m, now?.[i], seeds?.get(m.def.fd) ?? []);
  });
}

/**
 * What `m` holds right after `seedMaps` gave it `seeds` (its seed list), in `snapshot`'s shape:
 * a differential test uses it instead of reading back a map the program cannot write.
 */
export function seededSnapshot(m: KernelMap, seeds: readonly (readonly [string, string])[]): MapSnapshot {
  const base = { name: m.def.name, fd: m.def.fd, type: mapTypeName(m.def.type) };
  if (m.def.initialValue) {
    const v = m.def.initialValue;
    return { ...base, entries: v.some((b) => b !== 0) ? [{ key: '00000000', value: hex(v) }] : [] };
  }
  if (!isDataMap(m.def.type)) return { ...base, entries: [] };
  const byKey = new Map(seeds.map(([k, v]) => [k.toLowerCase(), v.toLowerCase()]));
  const entries = [...byKey].filter(([, v]) => !isArrayMap(m.def.type) || /[^0]/.test(v)).map(([key, value]) => ({ key, value }));
  // Arrays list their entries by index (as the kernel's snapshot does), hash maps by key.
  const order = isArrayMap(m.def.type) ? (k: string): number => fromHex(k).reduce((n, b, j) => n + b * 2 ** (8 * j), 0) : undefined;
  entries.sort(order ? (a, b) => order(a.key) - order(b.key) : (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { ...base, entries };
}
