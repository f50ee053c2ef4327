/**
 * The harness's kernel side: an original and its mutant in the kernel (BPF_PROG_TEST_RUN on both,
 * same packets, same seeded maps). The original is loaded once per program and kept for its next
 * mutants (a load runs the verifier: the cost of hundreds of test runs); maps are read back with
 * batch lookups or in place, and reseeded from the last read-back (only entries that differ are
 * touched) — one BPF_MAP_LOOKUP_ELEM per array entry after every run was most of the kernel time.
 */
import { defaultInputSize, type Program } from '../ebpf/program.js';
import { hex } from '../ebpf/hex.js';
import type { MapSnapshot } from '../interp/run.js';
import type { Rng } from '../common/rng.js';
import * as kernel from '../kernel/index.js';
import { allowedCpus, pinToCpu } from '../kernel/ffi.js';
import { readMapsBatched, releaseBatchBuffers } from '../kernel/map-batch.js';
import { isDataMap } from '../kernel/maps.js';
import { generatePacket } from '../kernel/packets.js';
import { generateSeeds, seedsToJson } from '../kernel/seeds.js';
import { testRunRefusal } from '../kernel/testrun.js';
import type { Disagreement } from './agree.js';

/** A loaded program and its maps as last read back (undefined: untouched since the load). */
interface Side { loaded: kernel.Loaded; now: MapSnapshot[] | undefined }

export interface KernelComparer {
  /** Both programs on `n` generated packets with the same seeded maps; undefined when they agree. */
  compare(p: Program, b: Program, rng: Rng, n: number): Disagreement | undefined | { error: string };
  /** Closes the originals kept loaded. */
  dispose(): void;
}

function release(s: Side): void {
  releaseBatchBuffers(s.loaded);
  kernel.close(s.loaded);
}

export function createKernelComparer(): KernelComparer {
  const originals = new Map<Program, Side>();
  const original = (p: Program): Side | { error: string } => {
    const kept = originals.get(p);
    if (kept) return kept;
    const l = kernel.loadProgram(p, { tailCallMarkers: true });
    if (!l.accepted) return { error: 'the kernel rejects the original' };
    const s: Side = { loaded: l, now: undefined };
    originals.set(p, s);
    return s;
  };
  const forget = (p: Program): void => {
    const s = originals.get(p);
    if (s) { originals.delete(p); release(s); }
  };
  return {
    compare(p, b, rng, n) {
      let a: Side | { error: string } | undefined;
      let m: Side | undefined;
      try {
        a = original(p);
        if ('error' in a) return a;
        const lb = kernel.loadProgram(b, { tailCallMarkers: true });
        if (!lb.accepted) return { error: 'the kernel rejects the mutant' };
        m = { loaded: lb, now: undefined };
        return runBoth(p, a, m, rng, n);
      } catch (e) {
        forget(p); // its maps' state is no longer known
        return { error: (e as Error).message };
      } finally {
        if (m) release(m);
      }
    },
    dispose() {
      for (const s of originals.values()) release(s);
      originals.clear();
    },
  };
}

function runBoth(p: Program, a: Side, b: Side, rng: Rng, n: number): Disagreement | undefined {
  const cpu = allowedCpus()[0] ?? 0;
  const unpin = pinToCpu(cpu);
  const data = (s: MapSnapshot[]): MapSnapshot[] => s.filter((_, i) => isDataMap(p.maps[i]!.type));
  try {
    const maxLen = Math.max(14, Math.min(defaultInputSize(p), 1500));
    for (let k = 0, tries = 0; k < n && tries < 4 * n; tries++) {
      const packet = generatePacket(rng, { minLen: 14, maxLen }).packet;
      if (testRunRefusal(p.progType!, packet)) continue;
      k++;
      const seeds = generateSeeds(rng, p.maps);
      // `now` is dropped before each step that may throw midway, so a stale snapshot is never trusted.
      const nowA = a.now, nowB = b.now;
      a.now = undefined; b.now = undefined;
      kernel.seedMaps(a.loaded, seeds, nowA);
      kernel.seedMaps(b.loaded, seeds, nowB);
      const ra = kernel.testRun(a.loaded, { packet }), rb = kernel.testRun(b.loaded, { packet });
      a.now = readMapsBatched(a.loaded, cpu);
      b.now = readMapsBatched(b.loaded, cpu);
      const diffs: string[] = [];
      if (ra.r0 !== rb.r0) diffs.push(`r0 ${ra.r0} vs ${rb.r0}`);
      if (hex(ra.packet) !== hex(rb.packet)) diffs.push('packet');
      if (JSON.stringify(data(a.now)) !== JSON.stringify(data(b.now))) diffs.push('maps');
      if (diffs.length > 0) return { where: 'kernel', inputHex: hex(packet), ...(seeds ? { mapSeeds: seedsToJson(seeds, p.maps)! } : {}), detail: diffs.join(', ') };
    }
    return undefined;
  } finally {
    unpin();
  }
}
