/**
 * Machine state for one execution: r0–r10 as pairs of 32-bit halves (no BigInt on the hot path),
 * the address space with its regions, the maps, the input that time/randomness come from, and the
 * observable side effects. Building the context that r1 points at per program type lives here too.
 */
import { fromHex } from '../ebpf/hex.js';
import { ETH_HLEN, SKB, SKB_CB_SIZE, SKB_CTX_SIZE, XDP_HEADROOM, XDP_MD, XDP_MD_SIZE, pktType, setEthProtocol, type ProgKind } from './context-fields.js';
import { MAP_TYPES, type ContextModel, type MapDef } from '../ebpf/program.js';
import { u32Key } from './bytes.js';
import { MAP_IN_MAP, MapState, type MapSnapshot } from './maps.js';
import type { EnvironmentInput } from './environment.js';
import { Memory, REGION_BASE, makeRegion, type Region } from './memory.js';
import { MAX_CALL_FRAMES, STACK_FRAME_BYTES } from '../ebpf/abi.js';
import { FLOW_KEYS_SIZE, fillFlowKeys } from './flow-keys.js';

/**
 * One test input. Time, randomness, CPU and everything else a helper would ask the kernel for
 * come from here (EnvironmentInput: see the README's model section) so runs are deterministic.
 */
export interface RunInput extends EnvironmentInput {
  /** Packet bytes (xdp, skb) or the raw context bytes (tracepoints, K2 input type 1). */
  packet: Uint8Array;
  /** Values returned by get_prandom_u32, in order (cycled); default: a fixed sequence. */
  randoms?: readonly number[];
  timeNs?: bigint;
  cpu?: number;
  pidTgid?: bigint;
  ifindex?: number;
  /**
   * skb programs: the __sk_buff fields a caller sets before the program runs (BPF_PROG_TEST_RUN's
   * ctx_in; in a tail-call chain, what the previous program left): cb[0..4] as 20 bytes, mark, priority.
   */
  skbCb?: Uint8Array;
  skbMark?: number;
  skbPriority?: number;
  rxQueue?: number;
  /** Context model 'none': the value of r1 (and r2). */
  r1?: bigint;
  r2?: bigint;
  /** Context model 'none': a writable buffer that r1 points at, with r2 = its length (test vectors). */
  scratch?: Uint8Array;
  /** Entries set before the run: map fd → [key, value] pairs (hex strings). */
  mapSeeds?: ReadonlyMap<number, readonly (readonly [string, string])[]>;
}

export interface SideEffects {
  tailCall?: { mapFd: number; index: number };
  redirect?: { ifindex?: number; mapFd?: number; key?: number; flags: number; peer?: boolean; neigh?: boolean };
  /** Bytes sent with perf_event_output, one hex string per call. */
  perfOutputs?: string[];
  /** Lines of trace_printk / trace_vprintk and seq_write output, in order. */
  trace?: string[];
  /** Tunnel keys set with skb_set_tunnel_key (hex). */
  tunnelKeys?: string[];
}

export { ETH_HLEN, SKB, SKB_CB_SIZE, SKB_CTX_SIZE, XDP_HEADROOM, XDP_MD, XDP_MD_SIZE, type ProgKind } from './context-fields.js';

/** Array/hash of maps: inner map instances the interpreter creates per outer map (array of maps: slots 0…n−1 hold them). */
export const INNER_MAP_INSTANCES = 4;
/** The fd of an outer map's inner instance `i` (a number no ELF or K2 map uses). */
export const innerMapFd = (outerFd: number, i: number): number => 0x1_0000 + outerFd * INNER_MAP_INSTANCES + i;

/** A machine's state mid-run (window mode: the state at a window's entry). */
export interface MachineSnapshot {
  lo: Int32Array;
  hi: Int32Array;
  /**
   * The outermost stack frame (the 512 bytes below r10). Snapshots are taken outside BPF-to-BPF
   * calls (window mode excludes programs with them), where no other frame is in use.
   */
  stack: Uint8Array;
  /** Packet region bytes [0, end − base), data bounds and the region's end. */
  packet: Uint8Array | undefined;
  dataStart: number;
  dataEnd: number;
  dataMeta?: number;
  packetEnd: number;
  ctx: Uint8Array | undefined;
  maps: MapSnapshot[];
  sideEffects: SideEffects;
  randomCursor: number;
  insnCount: number;
  input: RunInput;
}

const hasSideEffects = (se: SideEffects): boolean =>
  se.tailCall !== undefined || se.redirect !== undefined || se.perfOutputs !== undefined || se.trace !== undefined || se.tunnelKeys !== undefined;
const cloneSideEffects = (se: SideEffects): SideEffects => ({
  ...(se.tailCall ? { tailCall: { ...se.tailCall } } : {}),
  ...(se.redirect ? { redirect: { ...se.redirect } } : {}),
  ...(se.perfOutputs ? { perfOutputs: se.perfOutputs.slice() } : {}),
  ...(se.trace ? { trace: se.trace.slice() } : {}),
  ...(se.tunnelKeys ? { tunnelKeys: se.tunnelKeys.slice() } : {}),
});

const DEFAULT_RANDOMS: readonly number[] = [0x2a, 0x9e3779b9, 0x7f4a7c15, 0x1234abcd];

export class Machine {
  readonly lo = new Int32Array(11);
  readonly hi = new Int32Array(11);
  readonly mem = new Memory();
  readonly maps: MapState[];
  readonly mapsByFd = new Map<number, MapState>();
  readonly stack: Region;
  /** The packet (xdp/skb) or context bytes (raw) region, for output and LD_ABS. */
  packet: Region | undefined;
  ctx: Region | undefined;
  /** Flow dissector programs: struct bpf_flow_keys (skb->flow_keys). */
  flowKeys: Region | undefined;
  /** Packet data bounds as absolute simulated addresses (xdp_adjust_head moves `dataStart`). */
  dataStart = 0;
  dataEnd = 0;
  /** XDP: start of the metadata area (== dataStart when there is none). */
  dataMeta = 0;
  sideEffects: SideEffects = {};
  randomCursor = 0;
  /** Set by a helper that ends the program (tail call, uBPF's unwind). */
  stopped = false;
  insnCount = 0;
  input: RunInput = { packet: new Uint8Array(0) };
  /** Environment-dependent helpers (ids) the last run called: its result depends on the input's environment model. */
  readonly environmentUsed: number[] = [];
  /** The slot of the WINDOW_EXIT that ended the last run; −1 when it ended otherwise. */
  windowExit = -1;

  /** Regions are created once; `reset` refills them for each input (no allocation when sizes fit). */
  /** `ctxSize`: model 'raw' pads the context to at least this many bytes (the program type's layout). */
  constructor(readonly model: ContextModel, readonly progKind: ProgKind, mapDefs: readonly MapDef[], readonly ctxSize = 0) {
    this.stack = this.mem.add(makeRegion('stack', REGION_BASE.stack, new Uint8Array(STACK_FRAME_BYTES * MAX_CALL_FRAMES), true));
    this.maps = withInnerMaps(mapDefs).map((d, i) => new MapState(d, i));
    for (const m of this.maps) {
      this.mapsByFd.set(m.def.fd, m);
      this.mem.add(m.region);
    }
    if (model === 'xdp') this.ctx = this.mem.add(makeRegion('context', REGION_BASE.ctx, new Uint8Array(XDP_MD_SIZE), false));
    if (model === 'skb') this.ctx = this.mem.add(makeRegion('context', REGION_BASE.ctx, new Uint8Array(SKB_CTX_SIZE), true));
    if (progKind === 'flow') this.flowKeys = this.mem.add(makeRegion('flow keys', REGION_BASE.flowKeys, new Uint8Array(FLOW_KEYS_SIZE), true));
    const packetBase = model === 'raw' ? REGION_BASE.ctx : model === 'none' ? REGION_BASE.scratch : REGION_BASE.packet;
    this.packet = this.mem.add(makeRegion(model === 'raw' ? 'context' : model === 'none' ? 'memory' : 'packet', packetBase, new Uint8Array(0), true));
    if (model === 'raw') this.ctx = this.packet;
  }

  /** Prepares a fresh execution on `input`: registers, stack, maps, context and packet. */
  reset(input: RunInput): void {
    this.input = input;
    this.lo.fill(0);
    this.hi.fill(0);
    this.stack.bytes.fill(0);
    for (const m of this.maps) m.clear();
    this.attachInnerMaps();
    if (input.mapSeeds) {
      for (const [fd, entries] of input.mapSeeds) {
        const m = this.mapsByFd.get(fd);
        if (!m) throw new Error(`map seed for unknown map fd ${fd}`);
        for (const [k, v] of entries) m.update(fromHex(k, 'map seed key', m.def.keySize), fromHex(v, 'map seed value', m.def.valueSize), 0);
      }
    }
    this.sideEffects = {};
    if (this.environmentUsed.length > 0) this.environmentUsed.length = 0;
    this.randomCursor = 0;
    this.stopped = false;
    this.insnCount = 0;
    this.windowExit = -1;
    this.buildContext();
    this.lo[10] = REGION_BASE.stack + STACK_FRAME_BYTES * MAX_CALL_FRAMES;
  }

  /** An array of maps starts with its inner instances in slots 0…n−1 (a hash of maps starts empty). */
  private attachInnerMaps(): void {
    for (const m of this.maps) {
      if (m.def.type !== MAP_TYPES.array_of_maps || !m.def.inner) continue;
      for (let i = 0; i < Math.min(INNER_MAP_INSTANCES, m.def.maxEntries); i++) m.update(u32Key(i), u32Key(innerMapFd(m.def.fd, i)), 0);
    }
  }

  /** Copies `data` into the packet region at `at`, growing its buffer only when needed. */
  private fillPacket(data: Uint8Array, at: number): void {
    const r = this.packet!;
    const size = at + data.length;
    if (r.bytes.length < size) {
      r.bytes = new Uint8Array(Math.max(size, 2 * r.bytes.length));
      r.view = new DataView(r.bytes.buffer);
    } else {
      r.bytes.fill(0, 0, at);
    }
    r.bytes.set(data, at);
    r.end = r.base + size;
  }

  private buildContext(): void {
    const inp = this.input;
    const len = (inp.scratch ?? inp.packet).length;
    switch (this.model) {
      case 'xdp': {
        this.fillPacket(inp.packet, XDP_HEADROOM);
        this.dataStart = REGION_BASE.packet + XDP_HEADROOM;
        this.dataEnd = this.dataStart + len;
        this.dataMeta = this.dataStart;
        const v = this.ctx!.view;
        this.syncXdpContext();
        v.setUint32(XDP_MD.ingressIfindex, inp.ifindex ?? 1, true);
        v.setUint32(XDP_MD.rxQueueIndex, inp.rxQueue ?? 0, true);
        v.setUint32(XDP_MD.egressIfindex, 0, true);
        this.lo[1] = REGION_BASE.ctx;
        break;
      }
      case 'skb': {
        this.fillPacket(inp.packet, 0);
        // As in the kernel's BPF_PROG_TEST_RUN, the Ethernet header is consumed (eth_type_trans):
        // only tc programs see it in skb->data; for the others (socket filters, cgroup_skb, …)
        // skb->data, skb->len and LD_ABS offsets start at the network header.
        const l2 = len < ETH_HLEN || this.progKind === 'tc' || this.progKind === 'flow' ? 0 : ETH_HLEN;
        this.dataStart = REGION_BASE.packet + l2;
        this.dataEnd = REGION_BASE.packet + len;
        const ctx = this.ctx!.bytes;
        ctx.fill(0);
        const v = this.ctx!.view;
        v.setUint32(SKB.len, len - l2, true);
        if (len >= ETH_HLEN) {
          setEthProtocol(ctx, inp.packet);
          v.setUint32(SKB.pktType, pktType(inp.packet), true);
        }
        // The test run's device is the loopback (ifindex 1); no ingress device unless given.
        v.setUint32(SKB.ingressIfindex, inp.ifindex ?? 0, true);
        v.setUint32(SKB.ifindex, inp.ifindex ?? 1, true);
        v.setUint32(SKB.data, this.dataStart, true);
        v.setUint32(SKB.dataEnd, this.dataEnd, true);
        v.setUint32(SKB.dataMeta, this.dataStart, true);
        if (inp.skbCb) ctx.set(inp.skbCb.subarray(0, SKB_CB_SIZE), SKB.cb);
        v.setUint32(SKB.mark, inp.skbMark ?? 0, true);
        v.setUint32(SKB.priority, inp.skbPriority ?? 0, true);
        if (this.flowKeys) {
          v.setUint32(SKB.flowKeys, REGION_BASE.flowKeys, true);
          fillFlowKeys(this.flowKeys.bytes, inp.packet);
        }
        this.lo[1] = REGION_BASE.ctx;
        break;
      }
      case 'raw':
        if (len < this.ctxSize) {
          const padded = new Uint8Array(this.ctxSize);
          padded.set(inp.packet);
          this.fillPacket(padded, 0);
        } else {
          this.fillPacket(inp.packet, 0);
        }
        this.dataStart = REGION_BASE.ctx;
        this.dataEnd = this.dataStart + Math.max(len, this.ctxSize);
        this.lo[1] = REGION_BASE.ctx;
        break;
      case 'none':
        if (inp.scratch) {
          this.fillPacket(inp.scratch, 0);
          this.dataStart = REGION_BASE.scratch;
          this.dataEnd = this.dataStart + len;
          this.lo[1] = REGION_BASE.scratch;
          this.lo[2] = len;
        } else {
          this.fillPacket(new Uint8Array(0), 0);
          this.dataStart = this.dataEnd = REGION_BASE.scratch;
          setReg(this, 1, inp.r1 ?? 0n);
          setReg(this, 2, inp.r2 ?? 0n);
        }
        break;
    }
  }

  snapshot(): MachineSnapshot {
    const p = this.packet;
    return {
      lo: this.lo.slice(), hi: this.hi.slice(), stack: this.stack.bytes.slice(this.stack.bytes.length - STACK_FRAME_BYTES),
      packet: p ? p.bytes.slice(0, p.end - p.base) : undefined, dataStart: this.dataStart, dataEnd: this.dataEnd, dataMeta: this.dataMeta, packetEnd: p ? p.end : 0,
      ctx: this.ctx && this.ctx !== p ? this.ctx.bytes.slice() : undefined,
      maps: this.maps.map((m) => m.snapshot()), sideEffects: cloneSideEffects(this.sideEffects),
      randomCursor: this.randomCursor, insnCount: this.insnCount, input: this.input,
    };
  }

  /** Back to `snap` (taken on a machine of the same program); allocates only for structural changes. */
  restore(snap: MachineSnapshot): void {
    this.lo.set(snap.lo);
    this.hi.set(snap.hi);
    this.stack.bytes.set(snap.stack, this.stack.bytes.length - STACK_FRAME_BYTES);
    const p = this.packet;
    if (p && snap.packet) {
      if (p.bytes.length < snap.packet.length) { p.bytes = new Uint8Array(snap.packet.length); p.view = new DataView(p.bytes.buffer); }
      p.bytes.set(snap.packet);
      p.end = snap.packetEnd;
    }
    this.dataStart = snap.dataStart;
    this.dataEnd = snap.dataEnd;
    this.dataMeta = snap.dataMeta ?? snap.dataStart;
    if (snap.ctx) this.ctx!.bytes.set(snap.ctx);
    for (let i = 0; i < this.maps.length; i++) this.maps[i]!.restore(snap.maps[i]!);
    // Helpers mutate the side-effect record: keep the current one when both are empty.
    if (hasSideEffects(this.sideEffects) || hasSideEffects(snap.sideEffects)) this.sideEffects = cloneSideEffects(snap.sideEffects);
    this.randomCursor = snap.randomCursor;
    this.insnCount = snap.insnCount;
    this.input = snap.input;
    this.stopped = false;
    this.windowExit = -1;
  }

  syncXdpContext(): void {
    const v = this.ctx!.view;
    v.setUint32(XDP_MD.data, this.dataStart, true);
    v.setUint32(XDP_MD.dataEnd, this.dataEnd, true);
    v.setUint32(XDP_MD.dataMeta, this.dataMeta, true);
  }

  /** __sk_buff's len, data and data_end after a helper changed the packet. */
  syncSkbContext(): void {
    const v = this.ctx!.view;
    v.setUint32(SKB.len, this.dataEnd - this.dataStart, true);
    v.setUint32(SKB.data, this.dataStart, true);
    v.setUint32(SKB.dataEnd, this.dataEnd, true);
    v.setUint32(SKB.dataMeta, this.dataStart, true);
  }

  /** Resizes the packet region so that it ends at `end` (absolute), zero-filling new bytes. */
  resizePacket(end: number): void {
    const r = this.packet!;
    const size = end - r.base;
    const old = r.end - r.base;
    if (r.bytes.length < size) {
      const b = new Uint8Array(Math.max(size, 2 * r.bytes.length));
      b.set(r.bytes.subarray(0, old));
      r.bytes = b;
      r.view = new DataView(b.buffer);
    } else if (size > old) {
      r.bytes.fill(0, old, size);
    }
    r.end = end;
  }

  nextRandom(): number {
    const rs = this.input.randoms && this.input.randoms.length > 0 ? this.input.randoms : DEFAULT_RANDOMS;
    const v = rs[this.randomCursor % rs.length]!;
    this.randomCursor++;
    return v >>> 0;
  }

  /**
   * The packet bytes as the program left them, from data to data_end (socket filters: from the
   * network header, as the kernel's test run reports it after zeroing the header it consumed).
   */
  packetBytes(): Uint8Array {
    if (!this.packet) return new Uint8Array(0);
    // XDP: from data_meta, as the kernel's test run returns it (== data without metadata).
    const from = this.model === 'xdp' ? this.dataMeta : this.dataStart;
    return this.packet.bytes.slice(from - this.packet.base, this.dataEnd - this.packet.base);
  }
}

export function getReg(m: Machine, r: number): bigint {
  return (BigInt(m.hi[r]! >>> 0) << 32n) | BigInt(m.lo[r]! >>> 0);
}

export function setReg(m: Machine, r: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  m.lo[r] = Number(u & 0xffff_ffffn) | 0;
  m.hi[r] = Number(u >> 32n) | 0;
}

/** The program's maps followed by the inner map instances of its array/hash of maps. */
function withInnerMaps(defs: readonly MapDef[]): MapDef[] {
  const out = [...defs];
  for (const d of defs) {
    if (!MAP_IN_MAP.has(d.type) || !d.inner) continue;
    for (let i = 0; i < INNER_MAP_INSTANCES; i++) out.push({ ...d.inner, name: `${d.name}[${i}]`, fd: innerMapFd(d.fd, i) });
  }
  return out;
}
