/**
 * Symbolic memory: pointer provenance (inferred from constant addresses, the context's data/data_end
 * and map lookups), bounds exactly as the interpreter's regions have them, byte-wise loads and
 * stores at concrete offsets (or a small finite set of them), and map entries read through their
 * event log (latest matching write, else the map's initial contents for that key).
 */
import { MAP_ARENA_SPAN, REGION_BASE } from '../interp/memory.js';
import { STACK_REGION_BYTES } from '../ebpf/abi.js';
import type { SymEnv } from './env.js';
import { events, appendEvent, type Alt, type Entry, type Reg, type RegionRef, type SymState } from './state.js';
import type { Term } from './term.js';

/** The encoding cannot express this program (K2's −1): the verdict is "unknown". */
export class Unsupported extends Error {
  constructor(message: string) { super(message); this.name = 'Unsupported'; }
}

/** Collects fault conditions (an execution error on a reached path). */
export interface FaultSink { fault(cond: Term): void }

/** The finite set of values a term can take, when it is built from constants and if-then-else. */
export function possibleValues(t: Term, limit = 16, depth = 0): bigint[] | undefined {
  if (t.op === 'const') return [t.val!];
  if (depth > 12) return undefined;
  if (t.op === 'ite') {
    const a = possibleValues(t.args[1]!, limit, depth + 1), b = possibleValues(t.args[2]!, limit, depth + 1);
    if (!a || !b) return undefined;
    const s = [...new Set([...a, ...b])];
    return s.length <= limit ? s : undefined;
  }
  if (t.op === 'bvadd' && t.args[1]!.op === 'const') {
    const a = possibleValues(t.args[0]!, limit, depth + 1);
    const m = (1n << BigInt(t.sort)) - 1n;
    return a?.map((x) => (x + t.args[1]!.val!) & m);
  }
  return undefined;
}

/** Provenance of a value with none recorded: constants and (constant + small term) inside a region. */
export function inferAlts(env: SymEnv, v: Term): readonly Alt[] | undefined {
  const tb = env.tb;
  const known = env.prov.get(v.id);
  if (known) return known;
  if (env.noProv.has(v.id)) return undefined;
  if (v.op === 'ite') {
    const a = inferAlts(env, v.args[1]!), b = inferAlts(env, v.args[2]!);
    if (!a || !b) { env.noProv.add(v.id); return undefined; }
    const c = v.args[0]!;
    const alts = [...a.map((x) => ({ ...x, g: tb.and(c, x.g) })), ...b.map((x) => ({ ...x, g: tb.and(tb.not(c), x.g) }))];
    env.prov.set(v.id, alts);
    return alts;
  }
  let c: bigint, rest: Term | undefined;
  if (v.op === 'const') { c = v.val!; rest = undefined; } else if (v.op === 'bvadd' && v.args[1]!.op === 'const' && tb.ub(v.args[0]!) <= 0xffffn) { c = v.args[1]!.val!; rest = v.args[0]!; } else return undefined;
  const region = regionAt(env, c);
  if (!region) return [];
  const off0 = tb.bv(c - BigInt(region.base), 64);
  if (region.r !== 'ctx' && region.r !== 'stack' && region.r !== 'pkt') return rest ? [] : [{ g: tb.T, r: region.r, off: off0 }];
  return [{ g: tb.T, r: region.r, off: rest ? tb.add(rest, off0) : off0 }];
}

function regionAt(env: SymEnv, a: bigint): { r: RegionRef; base: number } | undefined {
  // One past the end counts (r10, data_end): such pointers are formed and then offset back.
  const within = (base: number, size: number): boolean => a >= BigInt(base) && a <= BigInt(base) + BigInt(size);
  if (within(env.stackBase, STACK_REGION_BYTES)) return { r: 'stack', base: env.stackBase };
  if (env.model !== 'none' && within(env.ctxBase, env.ctxSize)) return { r: 'ctx', base: env.ctxBase };
  if ((env.model === 'xdp' || env.model === 'skb') && within(env.pktBase, env.pktRegionMax)) return { r: 'pkt', base: env.pktBase };
  for (const m of env.maps) {
    const h = REGION_BASE.mapHandle + m.def.fd * 16;
    if (a === BigInt(h)) return { r: { handle: m.index }, base: h };
    if (within(m.base, MAP_ARENA_SPAN)) throw new Unsupported('direct access to a map value arena by address');
  }
  return undefined;
}

/** A register value with provenance, remembered for the value term. */
export function pointerReg(env: SymEnv, v: Term, alts: readonly Alt[] | undefined): Reg {
  if (!alts || alts.length === 0) return { v };
  if (!env.prov.has(v.id)) env.prov.set(v.id, alts);
  return { v, alts };
}

export function altsOf(env: SymEnv, reg: Reg): readonly Alt[] {
  const a = reg.alts ?? inferAlts(env, reg.v);
  if (!a) throw new Unsupported('memory access through a value of unknown provenance');
  return a;
}

function entrySize(env: SymEnv, e: Entry): number {
  const m = env.maps[e.map]!;
  return m.readable ? m.def.valueSize : 0;
}

/** Whether [off, off+size) lies in the region (and it may be written). */
function inBounds(env: SymEnv, r: RegionRef, off: Term, size: number, write: boolean): Term {
  const tb = env.tb;
  const upTo = (limit: number): Term => (limit < size ? tb.F : tb.ule(off, tb.bv(limit - size, 64)));
  if (r === 'stack') return upTo(STACK_REGION_BYTES);
  if (r === 'ctx') return write && env.model === 'xdp' ? tb.F : upTo(env.ctxSize);
  if (r === 'pkt') return tb.ule(off, tb.sub(env.pktSize(), tb.bv(size, 64)));
  if ('handle' in r) return tb.F;
  return upTo(entrySize(env, r.entry));
}

function flat(s: SymState, r: 'stack' | 'ctx' | 'pkt'): Map<number, Term> {
  return r === 'stack' ? s.stack : r === 'ctx' ? s.ctx : s.pkt;
}

function initialByte(env: SymEnv, r: 'stack' | 'ctx' | 'pkt', k: number): Term {
  return r === 'stack' ? env.tb.bv(0, 8) : r === 'ctx' ? env.ctxByte(k) : env.pktByte(k);
}

/** Final value of byte j of a map entry with the given key, in this state. */
export function entryByte(env: SymEnv, s: SymState, map: number, key: Term, j: number): Term {
  const tb = env.tb;
  let v = tb.extract(8 * j + 7, 8 * j, env.initValue(map, key));
  for (const ev of events(s.logs[map])) {
    if (ev.kind === 'store' && ev.off !== j) continue;
    const nv = ev.kind === 'store' ? ev.byte : ev.kind === 'update' ? ev.bytes[j]! : tb.bv(0, 8);
    v = tb.ite(tb.and(ev.g, tb.eq(ev.key, key)), nv, v);
  }
  return v;
}

/** Whether a key is present in the map, in this state. */
export function entryPresent(env: SymEnv, s: SymState, map: number, key: Term): Term {
  const tb = env.tb;
  const info = env.maps[map]!;
  if (info.kind === 'dense') return tb.ult(key, tb.bv(info.def.maxEntries, 32));
  let p = env.initPresent(map, key);
  for (const ev of events(s.logs[map])) {
    if (ev.kind === 'store') continue;
    p = tb.ite(tb.and(ev.g, tb.eq(ev.key, key)), tb.bool(ev.kind === 'update'), p);
  }
  return p;
}

function offsetsOf(off: Term): bigint[] {
  const vs = possibleValues(off);
  if (!vs) throw new Unsupported('memory access at a symbolic offset');
  return vs;
}

function readAt(env: SymEnv, s: SymState, r: RegionRef, k: number): Term {
  if (typeof r === 'string') return flat(s, r).get(k) ?? initialByte(env, r, k);
  if ('handle' in r) return env.tb.bv(0, 8);
  return entryByte(env, s, r.entry.map, r.entry.key, k);
}

/** Reads `size` bytes (little-endian value, 8·size bits) at reg + off; faults recorded in `sink`. */
export function loadBytes(env: SymEnv, s: SymState, reach: Term, sink: FaultSink, reg: Reg, off: number, size: number, write = false): Term[] {
  const tb = env.tb;
  const alts = altsOf(env, reg);
  const oks: Term[] = [];
  const perAlt: Term[][] = [];
  for (const a of alts) {
    const o = tb.add(a.off, tb.bv(off, 64));
    const inb = inBounds(env, a.r, o, size, write);
    oks.push(tb.and(a.g, inb));
    if (inb === tb.F) { perAlt.push(Array.from({ length: size }, () => tb.bv(0, 8))); continue; }
    const vals = offsetsOf(o);
    const bytes: Term[] = [];
    for (let j = 0; j < size; j++) {
      const at = vals.map((v) => readAt(env, s, a.r, Number(v) + j));
      bytes.push(vals.length === 1 ? at[0]! : chain(env, vals.map((v) => tb.eq(o, tb.bv(v, 64))), at));
    }
    perAlt.push(bytes);
  }
  sink.fault(tb.and(reach, tb.not(tb.or(...oks))));
  if (perAlt.length === 0) return Array.from({ length: size }, () => tb.bv(0, 8));
  return Array.from({ length: size }, (_, j) => chain(env, alts.map((a) => a.g), perAlt.map((b) => b[j]!)));
}

function chain(env: SymEnv, cs: readonly Term[], xs: readonly Term[]): Term {
  let acc = xs[xs.length - 1]!;
  for (let k = xs.length - 2; k >= 0; k--) acc = env.tb.ite(cs[k]!, xs[k]!, acc);
  return acc;
}

/** Little-endian bytes → value. */
export function bytesToValue(env: SymEnv, bytes: readonly Term[]): Term {
  let v = bytes[0]!;
  for (let j = 1; j < bytes.length; j++) v = env.tb.concat(bytes[j]!, v);
  return v;
}

export function valueToBytes(env: SymEnv, v: Term, size: number): Term[] {
  return Array.from({ length: size }, (_, j) => env.tb.extract(8 * j + 7, 8 * j, v));
}

/** Writes little-endian bytes at reg + off. */
export function storeBytes(env: SymEnv, s: SymState, reach: Term, sink: FaultSink, reg: Reg, off: number, bytes: readonly Term[]): void {
  const tb = env.tb;
  const size = bytes.length;
  const alts = altsOf(env, reg);
  const oks: Term[] = [];
  for (const a of alts) {
    const o = tb.add(a.off, tb.bv(off, 64));
    const inb = inBounds(env, a.r, o, size, true);
    oks.push(tb.and(a.g, inb));
    if (inb === tb.F) continue;
    const vals = offsetsOf(o);
    for (const v of vals) {
      const g = vals.length === 1 ? a.g : tb.and(a.g, tb.eq(o, tb.bv(v, 64)));
      for (let j = 0; j < size; j++) {
        const k = Number(v) + j;
        const r = a.r;
        if (typeof r === 'string') {
          const mem = flat(s, r);
          const old = mem.get(k) ?? initialByte(env, r, k);
          mem.set(k, tb.ite(g, bytes[j]!, old));
        } else if ('entry' in r) {
          appendEvent(s, r.entry.map, { kind: 'store', g, key: r.entry.key, off: k, byte: bytes[j]! });
        }
      }
    }
  }
  sink.fault(tb.and(reach, tb.not(tb.or(...oks))));
}

/** The map a register names (a map handle), or undefined when it certainly names none (a fault). */
export function mapArg(env: SymEnv, reg: Reg): number | undefined {
  const alts = altsOf(env, reg);
  const handles = alts.filter((a) => typeof a.r !== 'string' && 'handle' in a.r);
  if (handles.length === 0) {
    if (reg.v.op === 'const' || alts.length > 0) return undefined;
    throw new Unsupported('helper map argument of unknown provenance');
  }
  const h = handles[0]!;
  if (handles.length > 1 || h.g !== env.tb.T || alts.length > 1) throw new Unsupported('helper map argument that depends on the path');
  return (h.r as { handle: number }).handle;
}
