/**
 * Initial map contents for differential tests, identical on both sides: for about half of the
 * inputs, each data map (array, per-CPU array, hash, per-CPU/LRU hash) gets 1–4 random entries
 * (array indices biased towards the first slots); the other inputs start with empty maps.
 * Maps that hold kernel objects (prog arrays, devmaps, …) are never seeded.
 */
import type { MapDef } from '../ebpf/program.js';
import { hex } from '../ebpf/hex.js';
import type { Rng } from '../common/rng.js';
import { isArrayMap, isDataMap } from './maps.js';

export type MapSeeds = Map<number, [string, string][]>;

function u32Hex(i: number): string {
  return hex(new Uint8Array([i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, (i >>> 24) & 0xff]));
}

/** Random bytes, or (half the time) a small little-endian counter such as programs keep. */
function value(rng: Rng, m: MapDef): string {
  let v: Uint8Array;
  if (rng.float() < 0.5) v = rng.bytes(m.valueSize);
  else {
    v = new Uint8Array(m.valueSize);
    v[0] = 1 + rng.int(255);
  }
  // The kernel zeroes spin locks and timers on update: seed what it will hold.
  for (const f of m.kernelManaged ?? []) v.fill(0, f.offset, f.offset + f.size);
  return hex(v);
}

export function generateSeeds(rng: Rng, maps: readonly MapDef[]): MapSeeds | undefined {
  if (rng.float() < 0.5) return undefined;
  const seeds: MapSeeds = new Map();
  for (const m of maps) {
    // Global data starts from the object's bytes, never from random seeds.
    if (!isDataMap(m.type) || m.maxEntries === 0 || m.globalData !== undefined) continue;
    const entries = new Map<string, string>();
    const n = Math.min(1 + rng.int(4), m.maxEntries);
    for (let k = 0; k < n; k++) {
      const key = isArrayMap(m.type)
        ? u32Hex(rng.float() < 0.5 ? rng.int(Math.min(8, m.maxEntries)) : rng.int(m.maxEntries))
        : hex(rng.bytes(m.keySize));
      entries.set(key, value(rng, m));
    }
    seeds.set(m.fd, [...entries]);
  }
  return seeds;
}

/** JSON form: map name → { key: value }. */
export function seedsToJson(seeds: MapSeeds | undefined, maps: readonly MapDef[]): Record<string, Record<string, string>> | undefined {
  if (!seeds) return undefined;
  const out: Record<string, Record<string, string>> = {};
  for (const [fd, entries] of seeds) out[maps.find((m) => m.fd === fd)?.name ?? `fd ${fd}`] = Object.fromEntries(entries);
  return out;
}
