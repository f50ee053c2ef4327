/**
 * Writing a clang BPF object back with some program sections replaced: the same sections, in the
 * same order, with the same names, flags and links; the rewritten sections' code replaced, their
 * relocations (.rel<sec>/.rela<sec>) moved to the new slots, the symbols inside them (function
 * values and sizes, labels) moved, and their .BTF.ext records remapped (btf-ext.ts). Every other
 * section is copied byte for byte; the file is laid out again (offsets, sizes, the header table).
 * `inspectObject` gives what a caller needs to decide whether a section can be rewritten at all.
 */
import { btfStrings, encodeBtfExt, parseBtfExt, pinnedSlots, remapBtfExt, type BtfExt } from './btf-ext-records.js';
import { InputError } from './errors.js';
import { decodeInsn, encodeProgram, INSN_SIZE, type Insn } from './insn.js';

const SHT = { NULL: 0, SYMTAB: 2, RELA: 4, NOBITS: 8, REL: 9 } as const;
const SHF_EXECINSTR = 0x4;
const STT_FUNC = 2, STT_SECTION = 3;
const SH = 64, SYM = 24;

interface RawSection { index: number; name: string; header: Uint8Array; type: number; flags: number; data: Uint8Array; link: number; info: number; align: number; offset: number }

/** One code section as the writer sees it. */
export interface CodeSection {
  name: string;
  slots: number;
  /** The section's instructions as stored (relocation placeholders included). */
  raw: Insn[];
  /** Slots with a relocation (map references, calls to other sections, global data). */
  relocated: Set<number>;
  /** Slots a CO-RE relocation record of .BTF.ext points at (libbpf patches them on load). */
  coreRelocated: Set<number>;
  /** Function symbols (size > 0) in the section. */
  functions: { name: string; start: number; end: number }[];
}

/** A replacement: the section's new instructions and its old-to-new slot map (compact.ts). */
export interface SectionRewrite { name: string; insns: readonly Insn[]; newSlot: Int32Array }

function fail(msg: string): never {
  throw new InputError(msg);
}

function readSections(bytes: Uint8Array): RawSection[] {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46 || bytes[4] !== 2 || bytes[5] !== 1) fail('not a 64-bit little-endian ELF object');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const shoff = Number(v.getBigUint64(0x28, true)), shnum = v.getUint16(0x3c, true), shstrndx = v.getUint16(0x3e, true);
  if (shnum === 0 || shstrndx >= shnum || shoff + shnum * SH > bytes.length) fail('section header table missing or out of bounds (extended numbering is not supported by the writer)');
  const heads = Array.from({ length: shnum }, (_, i) => bytes.slice(shoff + i * SH, shoff + (i + 1) * SH));
  const field = (h: Uint8Array) => new DataView(h.buffer, h.byteOffset, SH);
  const strHead = field(heads[shstrndx]!);
  const strOff = Number(strHead.getBigUint64(24, true));
  return heads.map((h, index) => {
    const f = field(h);
    const type = f.getUint32(4, true), offset = Number(f.getBigUint64(24, true)), size = Number(f.getBigUint64(32, true));
    if (type !== SHT.NOBITS && type !== SHT.NULL && offset + size > bytes.length) fail(`section ${index} out of bounds`);
    let e = strOff + f.getUint32(0, true);
    const s = e;
    while (e < bytes.length && bytes[e] !== 0) e++;
    return {
      index, name: new TextDecoder().decode(bytes.subarray(s, e)), header: h, type, flags: Number(f.getBigUint64(8, true)),
      data: type === SHT.NOBITS || type === SHT.NULL ? new Uint8Array(0) : bytes.slice(offset, offset + size),
      link: f.getUint32(40, true), info: f.getUint32(44, true), align: Math.max(1, Number(f.getBigUint64(48, true))), offset,
    };
  });
}

const isCode = (s: RawSection): boolean => s.type === 1 && (s.flags & SHF_EXECINSTR) !== 0 && s.data.length > 0;

function btfExtOf(secs: RawSection[]): { ext: BtfExt; sec: RawSection } | undefined {
  const btf = secs.find((s) => s.name === '.BTF'), sec = secs.find((s) => s.name === '.BTF.ext');
  if (!btf || !sec) return undefined;
  return { ext: parseBtfExt(sec.data, btfStrings(btf.data)), sec };
}

function relocSlots(secs: RawSection[], target: number): Set<number> {
  const out = new Set<number>();
  for (const rs of secs) {
    if ((rs.type !== SHT.REL && rs.type !== SHT.RELA) || rs.info !== target) continue;
    const size = rs.type === SHT.RELA ? 24 : 16, v = new DataView(rs.data.buffer);
    for (let o = 0; o + size <= rs.data.length; o += size) {
      if (Number(v.getBigUint64(o + 8, true) & 0xffffffffn) !== 0) out.add(Number(v.getBigUint64(o, true)) / INSN_SIZE);
    }
  }
  return out;
}

interface Symbol { at: number; type: number; shndx: number; value: number; size: number; name: string }

function symbols(secs: RawSection[]): { tab: RawSection; syms: Symbol[] } | undefined {
  const tab = secs.find((s) => s.type === SHT.SYMTAB);
  if (!tab) return undefined;
  const strs = secs[tab.link]?.data ?? new Uint8Array(0);
  const v = new DataView(tab.data.buffer);
  const syms: Symbol[] = [];
  for (let at = 0; at + SYM <= tab.data.length; at += SYM) {
    let e = v.getUint32(at, true);
    const s = e;
    while (e < strs.length && strs[e] !== 0) e++;
    syms.push({ at, type: v.getUint8(at + 4) & 0xf, shndx: v.getUint16(at + 6, true), value: Number(v.getBigUint64(at + 8, true)), size: Number(v.getBigUint64(at + 16, true)), name: new TextDecoder().decode(strs.subarray(s, e)) });
  }
  return { tab, syms };
}

/** The bytes of the section named `name`, if there is one. */
export function sectionData(bytes: Uint8Array, name: string): Uint8Array | undefined {
  return readSections(bytes).find((s) => s.name === name)?.data;
}

/** The object's code sections with what constrains rewriting them. */
export function inspectObject(bytes: Uint8Array): CodeSection[] {
  const secs = readSections(bytes);
  const ext = btfExtOf(secs);
  const syms = symbols(secs)?.syms ?? [];
  return secs.filter(isCode).map((s) => ({
    name: s.name,
    slots: s.data.length / INSN_SIZE,
    raw: Array.from({ length: Math.floor(s.data.length / INSN_SIZE) }, (_, i) => decodeInsn(s.data, i * INSN_SIZE)),
    relocated: relocSlots(secs, s.index),
    coreRelocated: new Set(ext ? pinnedSlots(ext.ext, s.name, 'core') : []),
    functions: syms.filter((y) => y.shndx === s.index && y.type === STT_FUNC && y.size > 0).map((y) => ({ name: y.name, start: y.value / INSN_SIZE, end: (y.value + y.size) / INSN_SIZE })),
  }));
}

/** A slot's new byte offset; a relocation or symbol on a deleted slot is a caller's bug. */
function movedOffset(r: SectionRewrite, offset: number, what: string): number {
  const old = offset / INSN_SIZE;
  const to = r.newSlot[old];
  if (to === undefined || (old < r.newSlot.length - 1 && r.newSlot[old + 1] === to)) throw new Error(`${r.name}: ${what} at slot ${old} was deleted`);
  return to * INSN_SIZE;
}

/** The object with `rewrites` applied (see the file comment). */
export function rewriteObject(bytes: Uint8Array, rewrites: readonly SectionRewrite[]): Uint8Array {
  const secs = readSections(bytes);
  const byIndex = new Map<number, SectionRewrite>();
  for (const r of rewrites) {
    const s = secs.find((x) => x.name === r.name && isCode(x)) ?? fail(`no code section '${r.name}' to rewrite`);
    byIndex.set(s.index, r);
    s.data = encodeProgram(r.insns);
  }
  for (const rs of secs) {
    const r = (rs.type === SHT.REL || rs.type === SHT.RELA) ? byIndex.get(rs.info) : undefined;
    if (!r) continue;
    const size = rs.type === SHT.RELA ? 24 : 16, data = rs.data.slice(), v = new DataView(data.buffer);
    for (let o = 0; o + size <= data.length; o += size) v.setBigUint64(o, BigInt(movedOffset(r, Number(v.getBigUint64(o, true)), 'a relocation')), true);
    rs.data = data;
  }
  const st = symbols(secs);
  if (st) {
    const data = st.tab.data.slice(), v = new DataView(data.buffer);
    for (const y of st.syms) {
      const r = byIndex.get(y.shndx);
      if (!r || y.type === STT_SECTION) continue;
      const start = y.value / INSN_SIZE, end = start + y.size / INSN_SIZE;
      v.setBigUint64(y.at + 8, BigInt(r.newSlot[start]! * INSN_SIZE), true);
      if (y.size > 0) v.setBigUint64(y.at + 16, BigInt((r.newSlot[end]! - r.newSlot[start]!) * INSN_SIZE), true);
    }
    st.tab.data = data;
  }
  const ext = btfExtOf(secs);
  if (ext) {
    for (const r of rewrites) remapBtfExt(ext.ext, r.name, r.newSlot);
    ext.sec.data = encodeBtfExt(ext.ext);
  }
  return layout(bytes, secs);
}

/**
 * ELF header, every section's data at its alignment in the order of the input file (so an object
 * written with no change is the same bytes), then the section header table.
 */
function layout(original: Uint8Array, secs: RawSection[]): Uint8Array {
  const offsets: number[] = secs.map(() => 0);
  let pos = 64;
  for (const s of [...secs].sort((a, b) => a.offset - b.offset || a.index - b.index)) {
    if (s.type === SHT.NULL) continue;
    pos = Math.ceil(pos / s.align) * s.align;
    offsets[s.index] = pos;
    if (s.type !== SHT.NOBITS) pos += s.data.length;
  }
  const shoff = Math.ceil(pos / 8) * 8;
  const out = new Uint8Array(shoff + secs.length * SH);
  out.set(original.subarray(0, 64), 0);
  const ov = new DataView(out.buffer);
  ov.setBigUint64(0x28, BigInt(shoff), true);
  secs.forEach((s, i) => {
    if (s.type !== SHT.NULL && s.type !== SHT.NOBITS) out.set(s.data, offsets[i]!);
    const h = s.header.slice(), hv = new DataView(h.buffer);
    if (s.type !== SHT.NULL) {
      hv.setBigUint64(24, BigInt(offsets[i]!), true);
      if (s.type !== SHT.NOBITS) hv.setBigUint64(32, BigInt(s.data.length), true);
    }
    out.set(h, shoff + i * SH);
  });
  return out;
}
