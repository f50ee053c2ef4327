/**
 * The symbolic input both programs of a query share, laid out exactly as the interpreter lays out a
 * run (src/interp/machine.ts): packet/context bytes, packet length with the program type's bounds,
 * time/CPU/ifindex/randoms, and each map's initial contents as uninterpreted functions of the key.
 */
import { MAP_TYPES, contextModelOf, defaultInputSize, type ContextModel, type MapDef, type Program } from '../ebpf/program.js';
import { ETH_HLEN, SKB, SKB_CB_SIZE, XDP_HEADROOM, XDP_MD, XDP_MD_SIZE, SKB_CTX_SIZE } from '../interp/machine.js';
import { MAP_ARENA_SPAN, REGION_BASE } from '../interp/memory.js';
import { sortText } from './smtlib.js';
import type { Alt } from './state.js';
import { TermBuilder, type Term } from './term.js';

export type MapKind = 'dense' | 'sparse' | 'hash';
const DENSE = new Set<number>([MAP_TYPES.array, MAP_TYPES.percpu_array]);
const SPARSE = new Set<number>([MAP_TYPES.prog_array, MAP_TYPES.perf_event_array, MAP_TYPES.devmap, MAP_TYPES.cpumap, MAP_TYPES.xskmap, MAP_TYPES.array_of_maps]);

export interface MapInfo {
  def: MapDef;
  index: number;
  kind: MapKind;
  /** Bits of the entry identity: 32 (array index) or key_size × 8. */
  keyBits: number;
  base: number;
  /** Whether programs may read/write value bytes (prog arrays and perf event arrays: no). */
  readable: boolean;
}

/** One input variable the canonicaliser fixes to a default when it can (interpreter defaults). */
export interface InputVar { term: Term; dflt: bigint }

/** A use of a map's initial-content functions at a key (for counterexample map seeds). */
export interface MapKeyUse { map: number; key: Term }

export class SymEnv {
  readonly tb = new TermBuilder();
  readonly model: ContextModel;
  readonly progKind: 'xdp' | 'tc' | 'other';
  readonly maps: MapInfo[];
  readonly pktMax: number;
  /** Packet (xdp, skb) or raw context bytes. */
  readonly pkt: Term[] = [];
  /** Packet length, 64-bit (symbolic for xdp/skb, constant for raw/none). */
  readonly len: Term;
  readonly decls: string[] = [];
  readonly inputs: InputVar[] = [];
  readonly pre: Term[] = [];
  readonly keyUses: MapKeyUse[] = [];
  private readonly keyUseIds = new Set<string>();
  readonly scalars: Record<'ifindex' | 'rxq' | 'cpu' | 'time' | 'pid' | 'r1' | 'r2', Term>;
  readonly randoms: Term[] = [];
  /** skb only: the input bytes of cb[0..4], mark and priority. */
  readonly skbCb: Term[] = [];
  skbMark: Term | undefined;
  skbPriority: Term | undefined;
  /** Known pointer provenance of value terms (a term's value means the same on every path). */
  readonly prov = new Map<number, readonly Alt[]>();
  readonly noProv = new Set<number>();

  constructor(readonly program: Program, randomCount: number) {
    const tb = this.tb;
    this.model = contextModelOf(program.progType, program.k2InputType);
    this.progKind = program.progType === 'xdp' ? 'xdp' : program.progType === 'sched_cls' || program.progType === 'sched_act' ? 'tc' : 'other';
    this.pktMax = this.model === 'none' ? 0 : defaultInputSize(program);
    for (let i = 0; i < this.pktMax; i++) this.pkt.push(this.input(`p${i}`, 8, 0n));
    if (this.model === 'xdp' || this.model === 'skb') {
      const l = this.input('len', 16, BigInt(this.pktMax));
      this.pre.push(tb.ule(tb.bv(ETH_HLEN, 16), l), tb.ule(l, tb.bv(this.pktMax, 16)));
      this.len = tb.zext(l, 48);
    } else {
      this.len = tb.bv(this.pktMax, 64);
    }
    this.scalars = {
      ifindex: this.input('ifindex', 32, this.model === 'skb' ? 0n : 1n),
      rxq: this.input('rxq', 32, 0n),
      cpu: this.input('cpu', 32, 0n),
      time: this.input('time', 64, 1_000_000_000n),
      pid: this.input('pid', 64, (1000n << 32n) | 1000n),
      r1: this.input('r1', 64, 0n),
      r2: this.input('r2', 64, 0n),
    };
    for (let i = 0; i < randomCount; i++) this.randoms.push(this.input(`rnd${i}`, 32, 0n));
    if (this.model === 'skb') {
      // The caller-set __sk_buff fields (cb[], mark, priority) are inputs, as in the interpreter.
      for (let i = 0; i < SKB_CB_SIZE; i++) this.skbCb.push(this.input(`cb${i}`, 8, 0n));
      this.skbMark = this.input('mark', 32, 0n);
      this.skbPriority = this.input('prio', 32, 0n);
    }
    this.maps = program.maps.map((def, index) => {
      const kind: MapKind = DENSE.has(def.type) ? 'dense' : SPARSE.has(def.type) ? 'sparse' : 'hash';
      const keyBits = kind === 'hash' ? def.keySize * 8 : 32;
      const readable = !(def.type === MAP_TYPES.prog_array || def.type === MAP_TYPES.perf_event_array || def.type === MAP_TYPES.xskmap || def.type === MAP_TYPES.array_of_maps);
      this.decls.push(`(declare-fun mv${index} (${sortText(keyBits)}) ${sortText(def.valueSize * 8)})`);
      if (kind !== 'dense') this.decls.push(`(declare-fun mp${index} (${sortText(keyBits)}) Bool)`);
      if (kind === 'hash') this.decls.push(`(declare-fun ms${index} (${sortText(keyBits)}) (_ BitVec 16))`);
      return { def, index, kind, keyBits, base: REGION_BASE.mapValues + index * MAP_ARENA_SPAN, readable };
    });
  }

  private clobbers = 0;
  /** A fresh value for a register a call clobbered (unrelated to anything, so never relied on). */
  clobbered(r: number): Term {
    return this.tb.var(`clob${this.clobbers++}_r${r}`, 64);
  }

  private readonly funs = new Set<string>();
  /** An uninterpreted function, declared once per query (helper results the encoder does not model). */
  fun(name: string, argSorts: readonly number[], sort: number, args: readonly Term[]): Term {
    if (!this.funs.has(name)) {
      this.funs.add(name);
      this.decls.push(`(declare-fun ${name} (${argSorts.map(sortText).join(' ')}) ${sortText(sort)})`);
    }
    return this.tb.app(name, sort, args);
  }

  private input(name: string, bits: number, dflt: bigint): Term {
    const t = this.tb.var(name, bits); // declared by the SmtWriter where a formula first uses it
    this.inputs.push({ term: t, dflt });
    return t;
  }

  /** A map's initial value bytes for a key (registers the key for counterexample seeds). */
  initValue(m: number, key: Term): Term {
    this.useKey(m, key);
    return this.tb.app(`mv${m}`, this.maps[m]!.def.valueSize * 8, [key]);
  }
  /** Whether a key is present initially (hash maps and sparse arrays). */
  initPresent(m: number, key: Term): Term {
    this.useKey(m, key);
    const info = this.maps[m]!;
    const p = this.tb.app(`mp${m}`, 0, [key]);
    return info.kind === 'sparse' ? this.tb.and(this.tb.ult(key, this.tb.bv(info.def.maxEntries, 32)), p) : p;
  }
  /** A hash map's value slot for a key (its value address is base + slot × value_size). */
  slot(m: number, key: Term): Term {
    return this.tb.app(`ms${m}`, 16, [key]);
  }

  private useKey(m: number, key: Term): void {
    const id = `${m}:${key.id}`;
    if (this.keyUseIds.has(id)) return;
    this.keyUseIds.add(id);
    this.keyUses.push({ map: m, key });
  }

  // ---- Regions, as the interpreter places them
  readonly stackBase = REGION_BASE.stack;
  readonly ctxBase = REGION_BASE.ctx;
  readonly pktBase = REGION_BASE.packet;
  /** Offset of skb->data / xdp data from the packet region's start. */
  get dataOff(): number {
    if (this.model === 'xdp') return XDP_HEADROOM;
    if (this.model === 'skb') return this.progKind === 'tc' ? 0 : ETH_HLEN;
    return 0;
  }
  get ctxSize(): number {
    return this.model === 'xdp' ? XDP_MD_SIZE : this.model === 'skb' ? SKB_CTX_SIZE : this.model === 'raw' ? this.pktMax : 0;
  }
  /** Largest size of the packet region (xdp: headroom + packet). */
  get pktRegionMax(): number {
    return (this.model === 'xdp' ? XDP_HEADROOM : 0) + this.pktMax;
  }
  /** Size of the packet region in bytes (64-bit term). */
  pktSize(): Term {
    const tb = this.tb;
    if (this.model === 'xdp') return tb.add(this.len, tb.bv(XDP_HEADROOM, 64));
    return this.len;
  }

  /** Initial packet byte at region offset i (xdp headroom is zero). */
  pktByte(i: number): Term {
    const j = this.model === 'xdp' ? i - XDP_HEADROOM : i;
    return j >= 0 && j < this.pktMax ? this.pkt[j]! : this.tb.bv(0, 8);
  }

  /** Initial context byte at offset i (xdp_md / __sk_buff fields; raw: the input bytes). */
  ctxByte(i: number): Term {
    const tb = this.tb;
    if (this.model === 'raw') return this.pktByte(i);
    const field = (off: number, v: Term): Term | undefined => (i >= off && i < off + 4 ? tb.extract(8 * (i - off) + 7, 8 * (i - off), v) : undefined);
    if (this.model === 'xdp') {
      const data = tb.bv(this.pktBase + XDP_HEADROOM, 64);
      const end = tb.add(data, this.len);
      return field(XDP_MD.data, data) ?? field(XDP_MD.dataEnd, end) ?? field(XDP_MD.dataMeta, data)
        ?? field(XDP_MD.ingressIfindex, this.scalars.ifindex) ?? field(XDP_MD.rxQueueIndex, this.scalars.rxq) ?? tb.bv(0, 8);
    }
    const l2 = this.dataOff;
    const data = tb.bv(this.pktBase + l2, 64);
    const end = tb.add(tb.bv(this.pktBase, 64), this.len);
    const p = this.pkt;
    const zero8 = tb.bv(0, 8);
    const etype = tb.concat(p[12] ?? zero8, p[13] ?? zero8);
    // skb->protocol (network order) as eth_type_trans sets it; pkt_type for the loopback device.
    const isType = tb.ule(tb.bv(0x0600, 16), etype);
    const rawIpx = tb.and(tb.ule(tb.bv(16, 64), this.len), tb.eq(p[14] ?? zero8, tb.bv(0xff, 8)), tb.eq(p[15] ?? zero8, tb.bv(0xff, 8)));
    const proto16 = tb.ite(isType, tb.concat(p[13] ?? zero8, p[12] ?? zero8), tb.ite(rawIpx, tb.bv(0x0100, 16), tb.bv(0x0400, 16)));
    const mac0 = tb.and(...[0, 1, 2, 3, 4, 5].map((k) => tb.eq(p[k] ?? zero8, zero8)));
    const group = tb.eq(tb.extract(0, 0, p[0] ?? zero8), tb.bv(1, 1));
    const pktType = tb.ite(mac0, tb.bv(0, 32), tb.ite(group, tb.bv(2, 32), tb.bv(3, 32)));
    return field(SKB.len, tb.extract(31, 0, tb.sub(this.len, tb.bv(l2, 64)))) ?? field(SKB.pktType, pktType)
      ?? field(SKB.protocol, tb.zext(proto16, 16)) ?? field(SKB.ingressIfindex, this.scalars.ifindex)
      ?? field(SKB.ifindex, tb.ite(tb.eq(this.scalars.ifindex, tb.bv(0, 32)), tb.bv(1, 32), this.scalars.ifindex))
      ?? field(SKB.data, data) ?? field(SKB.dataEnd, end) ?? field(SKB.dataMeta, data)
      ?? field(SKB.mark, this.skbMark!) ?? field(SKB.priority, this.skbPriority!)
      ?? (i >= SKB.cb && i < SKB.cb + SKB_CB_SIZE ? this.skbCb[i - SKB.cb]! : tb.bv(0, 8));
  }
}
