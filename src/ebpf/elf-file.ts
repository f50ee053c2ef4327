/**
 * A minimal ELF64 little-endian reader for BPF objects (written from the ELF spec): bounds-checked
 * fields, sections, symbols and relocations. Every malformation is a one-line InputError.
 */
import { InputError } from './errors.js';
import { INSN_SIZE } from './insn.js';

const EM_BPF = 247;
export const SHT = { PROGBITS: 1, SYMTAB: 2, RELA: 4, NOBITS: 8, REL: 9 } as const;
export const SHF_EXECINSTR = 0x4;
export const STT = { OBJECT: 1, FUNC: 2, SECTION: 3 } as const;
export const STB_LOCAL = 0;
export const R_BPF = { NONE: 0, R64_64: 1, R64_32: 10 } as const;

export interface Section { index: number; name: string; type: number; flags: number; offset: number; size: number; link: number; info: number; entsize: number }
export interface Sym { name: string; type: number; bind: number; shndx: number; value: number; size: number; /** st_other & 3: 0 default, 2 hidden. */ visibility: number }
export interface Reloc { offset: number; type: number; sym: number; addend?: number }

export function fail(msg: string): never {
  throw new InputError(msg);
}

/** Minimal ELF64 LE reader: bounds-checked fields, sections, symbols, relocations. */
export class ElfFile {
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
        this.symbols.push({ name, type: info & 0xf, bind: info >> 4, shndx, value: this.u64(o + 8), size: this.u64(o + 16), visibility: this.view.getUint8(o + 5) & 3 });
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


export const isCode = (s: Section): boolean => s.type === SHT.PROGBITS && (s.flags & SHF_EXECINSTR) !== 0 && s.size > 0;
