/**
 * Two programs in the kernel on the same inputs: both loaded (each with its own maps), then for
 * every generated packet both start from the same map contents (random seeds for half the inputs)
 * and BPF_PROG_TEST_RUN runs each; r0, the output packet and the data maps afterwards must agree.
 * The output gate asks this of every optimized program whose type the kernel can test-run, and
 * `k2lab difftest A --against B` runs it on two files.
 */
import type { Program } from '../ebpf/program.js';
import { close, loadProgram, seedMaps, testRun, canTestRun, type Loaded } from '../kernel/index.js';
import { readMapsBatched, releaseBatchBuffers } from '../kernel/map-batch.js';
import { seededSnapshot } from '../kernel/state.js';
import { mapWrites } from '../ebpf/map-writes.js';
import { allowedCpus, pinToCpu } from '../kernel/ffi.js';
import { isDataMap } from '../kernel/maps.js';
import { generatePacket } from '../kernel/packets.js';
import { generateSeeds } from '../kernel/seeds.js';
import { ETH_HLEN, testRunRefusal } from '../kernel/testrun.js';
import { Rng } from '../common/rng.js';

export interface Agreement {
  /** False when the type cannot be test-run (then nothing was compared). */
  testRun: boolean;
  inputs: number;
  mismatches: number;
  /** The first mismatch: input, what differs, both outcomes. */
  first?: { packetHex: string; differs: string[]; a: string; b: string };
  /** Set when a program did not load. */
  rejected?: string;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Compares `a` and `b` (same maps, same type) on `inputs` generated packets. */
export function kernelAgreement(a: Program, b: Program, inputs: number, seed = 1, maxLen = 256): Agreement {
  const type = a.progType ?? b.progType;
  if (!type || !canTestRun(type)) return { testRun: false, inputs: 0, mismatches: 0 };
  const la = loadProgram(a, { tailCallMarkers: true });
  if (!la.accepted) return { testRun: true, inputs: 0, mismatches: 0, rejected: `${a.name}: ${la.reason}` };
  const lb = loadProgram({ ...b, progType: type }, { tailCallMarkers: true });
  if (!lb.accepted) { close(la); return { testRun: true, inputs: 0, mismatches: 0, rejected: `${b.name}: ${lb.reason}` }; }
  const cpu = allowedCpus()[0] ?? 0;
  const unpin = pinToCpu(cpu);
  try {
    const rng = new Rng(seed);
    // Each program's maps as the last run left them: seeding then touches only what differs.
    const now = new Map<Loaded, ReturnType<typeof readMapsBatched>>();
    // Maps neither program can write hold their seeds after a run (src/ebpf/map-writes.ts): not read back.
    // The rest in one batch syscall per array (xdp-tools' cpumap programs spent a minute per gate reading them element-wise).
    const written = new Set([...mapWrites(a).written, ...mapWrites(b).written]);
    const run = (l: Loaded, packet: Uint8Array, seeds: ReturnType<typeof generateSeeds>): string => {
      seedMaps(l, seeds, now.get(l));
      const r = testRun(l, { packet });
      const after = readMapsBatched(l, cpu, l.maps.map((m, i) => (written.has(i) ? undefined : seededSnapshot(m, seeds?.get(m.def.fd) ?? []))));
      now.set(l, after);
      const maps = after.filter((_, i) => isDataMap(l.maps[i]!.def.type)).map((m) => m.entries);
      return JSON.stringify({ r0: r.r0.toString(), packet: hex(r.packet), maps });
    };
    let mismatches = 0, n = 0;
    let first: Agreement['first'];
    while (n < inputs) {
      const { packet } = generatePacket(rng, { minLen: ETH_HLEN, maxLen });
      const seeds = generateSeeds(rng, a.maps);
      if (testRunRefusal(type, packet)) continue;
      n++;
      const ra = run(la, packet, seeds), rb = run(lb, packet, seeds);
      if (ra === rb) continue;
      mismatches++;
      if (!first) {
        const pa = JSON.parse(ra) as Record<string, unknown>, pb = JSON.parse(rb) as Record<string, unknown>;
        first = { packetHex: hex(packet), differs: Object.keys(pa).filter((k) => JSON.stringify(pa[k]) !== JSON.stringify(pb[k])), a: ra, b: rb };
      }
    }
    return { testRun: true, inputs: n, mismatches, ...(first ? { first } : {}) };
  } finally {
    unpin();
    releaseBatchBuffers(la);
    releaseBatchBuffers(lb);
    close(la);
    close(lb);
  }
}
