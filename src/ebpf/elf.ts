/**
 * Loader for clang BPF objects (ELF64 little-endian, EM_BPF), written from the ELF spec and libbpf's
 * conventions: picks one program (section or function), links the `.text` subprograms it calls,
 * reads legacy (`maps`) and BTF-defined (`.maps`) maps and turns map relocations into map-fd loads.
 */
import { btfMapAttrs, parseBtf, type Btf } from './elf-btf.js';
import { InputError } from './errors.js';
import { decodeInsn, INSN_SIZE, LDDW_OPCODE, type Insn } from './insn.js';
import { PSEUDO } from './opcodes.js';
import { progTypeFromSection, type MapDef, type Program } from './program.js';

const EM_BPF = 247;
const SHT = { PROGBITS: 1, SYMTAB: 2, RELA: 4, NOBITS: 8, REL: 9 } as const;
const SHF_EXECINSTR = 0x4;
const STT = { OBJECT: 1, FUNC: 2, SECTION: 3 } as const;
const STB_LOCAL = 0;
const R_BPF = { NONE: 0, R64_64: 1, R64_32: 10 } as const;
const CALL_OPCODE = 0x85;

interface Section { index: number; name: string; type: number; flags: number; offset: number; size: number; link: number; info: number; entsize: number }
interface Sym { name: string; type: number; bind: number; shndx: number; value: number; size: number }
interface Reloc { offset: number; type: number; sym: number; addend?: number }
/** A function (or a whole section without function symbols): a contiguous run of slots. */
interface Unit { sec: Section; start: number; end: number; name: string }
interface MapSlot { sec: number; start: number; end: number; def: MapDef }

function fail(msg: string): never {
  throw new InputError(msg);
}

/** Minimal ELF64 LE reader: bounds-checked fields, sections, symbols, relocations. */
class ElfFile {
  readonly view: DataView;
  readonly sections: Section[] = [];
  readonly symbols: Sym[] = [];
  private readonly relocCache = new Map<number, Map<number, Reloc>>();

  constructor(readonly bytes: Uint8Array) {
    if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) fail('not an ELF file (bad magic)');
    if (bytes.length < 64) fail(`truncated ELF header (${bytes.length} of 64 bytes)`);
    if (bytes[4] !== 2) fail(`not a 64-bit ELF (class ${bytes[4]}); BPF objects are ELF64`);
    if (bytes[5] !== 1) fail(bytes[5] === 2 ? 'big-endian ELF (bpfeb) is not supported; compile with -target bpfel or bpf' : `bad ELF data encoding ${bytes[5]}`);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const machine = this.u16(18);
    if (machine !== EM_BPF) fail(`not a BPF object (e_machine ${machine}${machine === 62 ? ', x86-64' : machine === 183 ? ', AArch64' : ''}; expected ${EM_BPF} EM_BPF)`);
    const shoff = this.u64(0x28), shentsize = this.u16(0x3a);
    let shnum = this.u16(0x3c), shstrndx = this.u16(0x3e);
    if (shoff === 0) fail('no section header table');
    if (shentsize < 64) fail(`bad section header size ${shentsize}`);
    this.check(shoff, 64, 'section header table');
    if (shnum === 0) shnum = this.u64(shoff + 32); // Extended numbering: the count lives in section 0.
    if (shstrndx === 0xffff) shstrndx = this.u32(shoff + 40);
    if (shnum > 65536) fail(`implausible section count ${shnum}`);
    this.check(shoff, shnum * shentsize, 'section header table');
    const raw = Array.from({ length: shnum }, (_, i) => {
      const o = shoff + i * shentsize;
      return { index: i, nameOff: this.u32(o), type: this.u32(o + 4), flags: this.u64(o + 8), offset: this.u64(o + 24), size: this.u64(o + 32), link: this.u32(o + 40), info: this.u32(o + 44), entsize: this.u64(o + 56) };
    });
    for (const s of raw) if (s.type !== SHT.NOBITS && s.type !== 0) this.check(s.offset, s.size, `section ${s.index}`);
    const strtab = raw[shstrndx] ?? fail(`section name table index ${shstrndx} out of range`);
    for (const s of raw) this.sections.push({ ...s, name: this.cstr(strtab.offset, strtab.size, s.nameOff) });
    const symtab = this.sections.find((s) => s.type === SHT.SYMTAB);
    if (symtab) {
      const strs = this.sections[symtab.link] ?? fail('.symtab links to a missing string table');
      const n = Math.floor(symtab.size / 24);
      for (let i = 0; i < n; i++) {
        const o = symtab.offset + i * 24;
        const info = this.view.getUint8(o + 4);
        const shndx = this.u16(o + 6);
        let name = this.cstr(strs.offset, strs.size, this.u32(o));
        // Section symbols are nameless; name them after their section for messages.
        if (name === '' && (info & 0xf) === STT.SECTION) name = this.sections[shndx]?.name ?? '';
        this.symbols.push({ name, type: info & 0xf, bind: info >> 4, shndx, value: this.u64(o + 8), size: this.u64(o + 16) });
      }
    }
  }

  check(off: number, len: number, what: string): void {
    if (off < 0 || len < 0 || off + len > this.bytes.length) fail(`${what} out of bounds (offset ${off}, size ${len}, file is ${this.bytes.length} bytes)`);
  }
  u16(o: number): number { this.check(o, 2, 'field'); return this.view.getUint16(o, true); }
  u32(o: number): number { this.check(o, 4, 'field'); return this.view.getUint32(o, true); }
  u64(o: number): number {
    this.check(o, 8, 'field');
    const v = this.view.getBigUint64(o, true);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? fail(`64-bit field at offset ${o} too large`) : Number(v);
  }
  cstr(base: number, size: number, off: number): string {
    if (off >= size && off !== 0) fail(`string offset ${off} outside its table`);
    let e = base + off;
    while (e < base + size && this.bytes[e] !== 0) e++;
    return new TextDecoder().decode(this.bytes.subarray(base + off, e));
  }
  data(s: Section): Uint8Array {
    if (s.type === SHT.NOBITS) return s.size <= 1 << 24 ? new Uint8Array(s.size) : fail(`section '${s.name}' (no bits) is implausibly large`);
    return this.bytes.subarray(s.offset, s.offset + s.size);
  }
  sym(i: number): Sym { return this.symbols[i] ?? fail(`relocation refers to symbol ${i}, symbol table has ${this.symbols.length}`); }
  section(i: number): Section | undefined { return this.sections[i]; }

  /** Relocations applying to section `target`, keyed by byte offset (SHT_REL and SHT_RELA). */
  relocs(target: Section): Map<number, Reloc> {
    const hit = this.relocCache.get(target.index);
    if (hit) return hit;
    const out = new Map<number, Reloc>();
    for (const rs of this.sections) {
      if ((rs.type !== SHT.REL && rs.type !== SHT.RELA) || rs.info !== target.index) continue;
      const rela = rs.type === SHT.RELA, size = rela ? 24 : 16;
      for (let o = rs.offset; o + size <= rs.offset + rs.size; o += size) {
        const offset = this.u64(o), info = this.view.getBigUint64(o + 8, true);
        const r: Reloc = { offset, type: Number(info & 0xffffffffn), sym: Number(info >> 32n) };
        if (rela) r.addend = Number(this.view.getBigInt64(o + 16, true));
        if (r.type === R_BPF.NONE) continue;
        if (offset % INSN_SIZE !== 0 || offset >= target.size) fail(`${rs.name}: relocation offset ${offset} is outside ${target.name} or not on an instruction`);
        out.set(offset, r);
      }
    }
    this.relocCache.set(target.index, out);
    return out;
  }
}

const isCode = (s: Section): boolean => s.type === SHT.PROGBITS && (s.flags & SHF_EXECINSTR) !== 0 && s.size > 0;

/** Function units of a code section: its FUNC symbols, or the whole section when it has none. */
function unitsOf(elf: ElfFile, sec: Section): Unit[] {
  if (sec.size % INSN_SIZE !== 0) fail(`code section '${sec.name}' is ${sec.size} bytes, not a multiple of 8`);
  const slots = Math.floor(sec.size / INSN_SIZE);
  const fns = elf.symbols
    .filter((s) => s.shndx === sec.index && s.type === STT.FUNC && s.size > 0)
    .filter((s) => (s.value % INSN_SIZE === 0 && s.value < sec.size) || fail(`function '${s.name}' at ${sec.name}+${s.value} is not on an instruction`))
    .map((s) => ({ sec, start: s.value / INSN_SIZE, end: Math.min(slots, (s.value + s.size) / INSN_SIZE), name: s.name }))
    .sort((a, b) => a.start - b.start);
  return fns.length > 0 ? fns : [{ sec, start: 0, end: slots, name: sec.name }];
}

/** Entry points: global functions in named program sections (`.text` only when nothing else has code). */
function candidates(elf: ElfFile): Unit[] {
  const code = elf.sections.filter(isCode);
  const named = code.filter((s) => s.name !== '.text');
  const out: Unit[] = [];
  for (const sec of named.length > 0 ? named : code) {
    const units = unitsOf(elf, sec);
    const globals = units.filter((u) => elf.symbols.some((s) => s.shndx === sec.index && s.type === STT.FUNC && s.name === u.name && s.bind !== STB_LOCAL));
    out.push(...(globals.length > 0 ? globals : units.slice(0, 1)));
  }
  return out;
}

const label = (u: Unit): string => (u.name === u.sec.name ? u.name : `${u.name} (${u.sec.name})`);

function choose(all: Unit[], section: string | undefined): Unit {
  const list = all.map(label).join(', ');
  if (all.length === 0) fail('no program section (the object has no executable code)');
  if (section === undefined) {
    if (all.length === 1) return all[0]!;
    return fail(`several programs: ${list}; choose one with --section`);
  }
  const byFn = all.filter((u) => u.name === section);
  if (byFn.length === 1) return byFn[0]!;
  const bySec = all.filter((u) => u.sec.name === section);
  if (bySec.length === 1) return bySec[0]!;
  if (bySec.length > 1) fail(`section '${section}' holds several programs: ${bySec.map(label).join(', ')}; choose one by function name`);
  return fail(`no program '${section}' (available: ${list})`);
}

/** All maps of the object, in section then offset order; fd = index. */
function readMaps(elf: ElfFile): MapSlot[] {
  const out: MapSlot[] = [];
  let btf: Btf | undefined;
  for (const sec of elf.sections) {
    if (sec.name !== 'maps' && sec.name !== '.maps') continue;
    const syms = elf.symbols.filter((s) => s.shndx === sec.index && s.type !== STT.SECTION && s.name !== '').sort((a, b) => a.value - b.value);
    if (sec.name === '.maps' && syms.length > 0) {
      const btfSec = elf.sections.find((s) => s.name === '.BTF') ?? fail("'.maps' section needs BTF, but there is no .BTF section (compile with -g)");
      btf ??= parseBtf(elf.data(btfSec));
    }
    const data = elf.data(sec);
    const dv = new DataView(data.buffer, data.byteOffset, data.length);
    for (const s of syms) {
      // Legacy definitions without symbol sizes: libbpf divides the section evenly.
      const size = s.size > 0 ? s.size : Math.floor(sec.size / syms.length);
      const fd = out.length;
      let def: MapDef;
      if (sec.name === '.maps') {
        def = { name: s.name, fd, ...btfMapAttrs(btf!, s.name) };
      } else {
        if (size < 16 || s.value + size > sec.size) fail(`legacy map '${s.name}': definition of ${size} bytes at offset ${s.value} does not fit 'maps' (${sec.size} bytes; need ≥ 16)`);
        const u = (i: number): number => dv.getUint32(s.value + 4 * i, true);
        def = { name: s.name, fd, type: u(0), keySize: u(1), valueSize: u(2), maxEntries: u(3), flags: size >= 20 ? u(4) : 0 };
      }
      out.push({ sec: sec.index, start: s.value, end: s.value + Math.max(size, 1), def });
    }
  }
  return out;
}

/** Copies the entry unit and every unit it reaches by calls, fixing call offsets and map loads. */
function link(elf: ElfFile, entry: Unit, maps: MapSlot[]): Insn[] {
  const out: Insn[] = [];
  const placed: { unit: Unit; base: number }[] = [];
  const unitCache = new Map<number, Unit[]>();
  const place = (u: Unit): number => {
    const hit = placed.find((p) => p.unit.sec === u.sec && p.unit.start === u.start);
    if (hit) return hit.base;
    const base = placed.reduce((n, p) => n + (p.unit.end - p.unit.start), 0);
    placed.push({ unit: u, base });
    return base;
  };
  /** New slot index of original slot `slot` of section `secIndex` (placing its function if needed). */
  const target = (secIndex: number, slot: number, where: string): number => {
    const sec = elf.section(secIndex);
    if (!sec || !isCode(sec)) fail(`${where}: target is in ${sec ? `non-code section '${sec.name}'` : `missing section ${secIndex}`}`);
    let units = unitCache.get(secIndex);
    if (!units) unitCache.set(secIndex, (units = unitsOf(elf, sec)));
    const u = units.find((x) => slot >= x.start && slot < x.end) ?? fail(`${where}: target slot ${slot} of '${sec.name}' is not inside any function`);
    return place(u) + (slot - u.start);
  };
  place(entry);
  for (let k = 0; k < placed.length; k++) {
    const { unit: u, base } = placed[k]!;
    const data = elf.data(u.sec);
    const relocs = elf.relocs(u.sec);
    for (let slot = u.start; slot < u.end; slot++) out.push(decodeInsn(data, slot * INSN_SIZE));
    for (let slot = u.start; slot < u.end; slot++) {
      const at = base + slot - u.start;
      const ins = out[at]!;
      const where = `${u.sec.name}+${slot * INSN_SIZE} (instruction ${slot} of ${u.name})`;
      const r = relocs.get(slot * INSN_SIZE);
      if (ins.op === LDDW_OPCODE) {
        if (slot + 1 >= u.end) fail(`${where}: 64-bit immediate load is missing its second half`);
        if (r) applyLddw(elf, r, ins, out[at + 1]!, maps, where, (s, sl) => target(s, sl, where) - (at + 1));
        slot++;
      } else if (ins.op === CALL_OPCODE && ins.src === 1) {
        let dest: number;
        if (r) {
          if (r.type !== R_BPF.R64_32) fail(`${where}: unexpected relocation type ${r.type} on a call`);
          const s = elf.sym(r.sym);
          if (s.shndx === 0) fail(`${where}: call to unresolved external function '${s.name}'`);
          // REL keeps the addend in imm (slot delta from the symbol, minus one); RELA is plain S + A.
          dest = target(s.shndx, r.addend === undefined ? s.value / INSN_SIZE + ins.imm + 1 : (s.value + r.addend) / INSN_SIZE, where);
        } else {
          dest = target(u.sec.index, slot + 1 + ins.imm, where);
        }
        ins.imm = dest - (at + 1);
      } else if (r) {
        const s = elf.sym(r.sym);
        if (r.type !== R_BPF.R64_64 && r.type !== R_BPF.R64_32) fail(`${where}: unknown relocation type ${r.type} against '${s.name}'`);
        fail(`${where}: relocation against '${s.name}' on an instruction that is neither a 64-bit load nor a local call (opcode 0x${ins.op.toString(16)})`);
      }
    }
  }
  return out;
}

/** R_BPF_64_64 on a 64-bit immediate load: map reference → map-fd load; code address → BPF_PSEUDO_FUNC. */
function applyLddw(elf: ElfFile, r: Reloc, lo: Insn, hi: Insn, maps: MapSlot[], where: string, funcRel: (sec: number, slot: number) => number): void {
  const s = elf.sym(r.sym);
  if (r.type !== R_BPF.R64_64) fail(`${where}: unknown relocation type ${r.type} on a 64-bit load of '${s.name}'`);
  if (s.shndx === 0) fail(`${where}: unresolved external symbol '${s.name}' (externs, kfuncs and ksyms are not supported)`);
  const sec = elf.section(s.shndx) ?? fail(`${where}: symbol '${s.name}' is in missing section ${s.shndx}`);
  const offset = s.value + (r.addend ?? lo.imm);
  if (sec.name === 'maps' || sec.name === '.maps') {
    const m = maps.find((x) => x.sec === sec.index && offset >= x.start && offset < x.end) ?? fail(`${where}: no map at ${sec.name}+${offset} (symbol '${s.name}')`);
    Object.assign(lo, { src: PSEUDO.MAP_FD, imm: m.def.fd });
    hi.imm = 0;
  } else if (isCode(sec)) {
    Object.assign(lo, { src: PSEUDO.FUNC, imm: funcRel(sec.index, offset / INSN_SIZE) });
    hi.imm = 0;
  } else if (/^\.(rodata|data|bss)/.test(sec.name)) {
    fail(`${where}: global data (${sec.name}) is not supported (symbol '${s.name}')`);
  } else {
    fail(`${where}: relocation against '${s.name}' in section '${sec.name}' is not supported`);
  }
}

/** Load one program from a clang BPF object. `section` names a section or a function in one. */
export function loadElfProgram(bytes: Uint8Array, file: string, section?: string): Program {
  const elf = new ElfFile(bytes);
  const all = candidates(elf);
  const entry = choose(all, section);
  const mapSlots = readMaps(elf);
  const insns = link(elf, entry, mapSlots);
  const shared = all.filter((u) => u.sec === entry.sec).length > 1;
  const prog: Program = { name: shared ? `${entry.sec.name}:${entry.name}` : entry.sec.name, source: file, insns, maps: mapSlots.map((m) => m.def) };
  const t = progTypeFromSection(entry.sec.name);
  if (t) prog.progType = t;
  return prog;
}

/** Every program (entry point) of a clang BPF object, each as the name `loadElfProgram`'s `section` takes. */
export function listElfPrograms(bytes: Uint8Array): string[] {
  const all = candidates(new ElfFile(bytes));
  return all.map((u) => (all.filter((v) => v.sec === u.sec).length > 1 ? u.name : u.sec.name));
}
