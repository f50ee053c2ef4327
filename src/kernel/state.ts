/**
 * Map state of a loaded program as a whole: read every map back (in the interpreter's snapshot
 * shape) and seed the maps to a given state before a run, as the interpreter's `mapSeeds` do.
 */
import type { MapSnapshot } from '../interp/run.js';
import { hex } from '../ebpf/hex.js';
import { isDataMap, resetTo, snapshot } from './maps.js';
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
