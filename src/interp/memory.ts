/**
 * The interpreter's address space: a few bounded regions (stack, context, packet, map values) at
 * fixed simulated 32-bit addresses, so a pointer is a plain 64-bit value whose high half is 0 and
 * every access is bounds-checked against exactly one region. Fixed bases keep runs deterministic.
 */

export const REGION_BASE = {
  stack: 0x1000_0000,
  ctx: 0x2000_0000,
  packet: 0x3000_0000,
  /** Map handles (what a map-fd pseudo load puts in a register): base + fd * 16. Not dereferenceable. */
  mapHandle: 0x3800_0000,
  /** Flow dissector programs: their struct bpf_flow_keys. */
  flowKeys: 0x3c00_0000,
  /** Map value arenas: base + index * MAP_ARENA_SPAN. */
  mapValues: 0x4000_0000,
  /** Scratch memory for helpers or tests (e.g. conformance `mem` buffers). */
  scratch: 0x7000_0000,
} as const;
export const MAP_ARENA_SPAN = 0x0100_0000;

export interface Region {
  readonly name: string;
  readonly base: number;
  /** One past the last valid address (the packet region's changes per input). */
  end: number;
  bytes: Uint8Array;
  view: DataView;
  readonly writable: boolean;
}

export function makeRegion(name: string, base: number, bytes: Uint8Array, writable: boolean, size = bytes.length): Region {
  return { name, base, end: base + size, bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), writable };
}

/** Why an access failed; the interpreter turns it into a typed execution error. */
export class MemoryFault extends Error {
  constructor(readonly addrHi: number, readonly addrLo: number, readonly size: number, readonly write: boolean, detail: string) {
    super(`${write ? 'write' : 'read'} of ${size} byte${size === 1 ? '' : 's'} at 0x${fmtAddr(addrHi, addrLo)}: ${detail}`);
    this.name = 'MemoryFault';
  }
}

function fmtAddr(hi: number, lo: number): string {
  return (hi >>> 0 ? (hi >>> 0).toString(16) + (lo >>> 0).toString(16).padStart(8, '0') : (lo >>> 0).toString(16));
}

export class Memory {
  regions: Region[] = [];
  /** Offset into `last` of the most recent successful translation. */
  offset = 0;
  last: Region | undefined;

  add(r: Region): Region {
    this.regions.push(r);
    return r;
  }

  /**
   * Finds the region holding [addr, addr+size) and sets `last`/`offset`; throws MemoryFault otherwise.
   * `hi` must be 0: every simulated address lives below 2^32.
   */
  translate(hi: number, lo: number, off: number, size: number, write: boolean): DataView {
    const a = (lo >>> 0) + off;
    if (hi !== 0 || a < 0 || a > 0xffff_ffff) return this.miss(hi, lo, off, size, write);
    const rs = this.regions;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      if (a >= r.base && a < r.end) {
        if (a + size > r.end) throw new MemoryFault(0, a, size, write, `runs past the end of the ${r.name} region`);
        if (write && !r.writable) throw new MemoryFault(0, a, size, write, `the ${r.name} region is read-only`);
        this.last = r;
        this.offset = a - r.base;
        return r.view;
      }
    }
    return this.miss(hi, lo, off, size, write);
  }

  /**
   * Tracing programs (BTF pointers): a load the verifier turned into a fault-tolerant probe read
   * (BPF_PROBE_MEM) reads the environment's kernel memory, or 0 where that faults. Set per program.
   */
  probeRead: ((addr: bigint, size: number) => Uint8Array) | undefined;

  /** An access outside every region: a fault, unless it is a tracing program's load. */
  private miss(hi: number, lo: number, off: number, size: number, write: boolean): DataView {
    if (!this.probeRead || write) throw new MemoryFault(hi, lo + off, size, write, 'outside every memory region');
    const addr = BigInt.asUintN(64, ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)) + BigInt(off));
    const bytes = new Uint8Array(8);
    bytes.set(this.probeRead(addr, size).subarray(0, size));
    this.last = makeRegion('kernel memory', 0, bytes, false);
    this.offset = 0;
    return this.last.view;
  }

  /** Copies `size` bytes at a simulated address (for helpers). */
  readBytes(hi: number, lo: number, size: number): Uint8Array {
    if (size === 0) return new Uint8Array(0);
    this.translate(hi, lo, 0, size, false);
    return this.last!.bytes.slice(this.offset, this.offset + size);
  }

  writeBytes(hi: number, lo: number, data: Uint8Array): void {
    if (data.length === 0) return;
    this.translate(hi, lo, 0, data.length, true);
    this.last!.bytes.set(data, this.offset);
  }
}
