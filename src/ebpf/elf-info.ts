/**
 * The object's BTF as the kernel will take it (what libbpf does before BPF_BTF_LOAD): clang leaves
 * DATASEC sizes and variable offsets 0 for the linker, so they are filled in from the ELF sections
 * and symbols (variables sorted by offset); extern functions and variables (`.ksyms`, `.kconfig`)
 * become static, and a DATASEC with no ELF section behind it becomes an anonymous union of ints.
 * Function and line info of the linked program are remapped to its instruction indices.
 */
import { KIND, findType, type Btf } from './btf.js';
import type { BtfExt } from './btf-ext.js';
import type { ElfFile } from './elf-file.js';
import { INSN_SIZE } from './insn.js';
import type { ProgramBtf } from './program.js';

/** Where a function unit of section `section` (slots start…end) landed in the linked program. */
export interface Placement { section: string; start: number; end: number; base: number }

export function kernelLoadableBtf(elf: ElfFile, btf: Btf, ext: BtfExt | undefined, placements: readonly Placement[]): ProgramBtf {
  const bytes = btf.bytes.slice();
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const rec = (at: number): number => btf.typeStart + at;
  const hidden = new Set(elf.symbols.filter((s) => s.type === 2 && s.visibility === 2).map((s) => s.name));
  const intId = findType(btf, 'int', KIND.INT) ?? btf.types.findIndex((t) => t?.kind === KIND.INT);
  btf.types.forEach((t) => {
    if (!t) return;
    const p = rec(t.at);
    // Extern functions, and hidden global ones (libbpf's __hidden subprograms), become static: the
    // verifier then checks them in their caller's context instead of on their own.
    if (t.kind === KIND.FUNC && (t.linkage === 2 || (t.linkage === 1 && hidden.has(t.name)))) v.setUint32(p + 4, (KIND.FUNC << 24) | 0, true);
    if (t.kind === KIND.VAR && t.linkage === 2) v.setUint32(p + 12, 0, true);
    if (t.kind !== KIND.DATASEC) return;
    const sec = elf.sections.find((s) => s.name === t.name);
    if (!sec) {
      if (intId <= 0) return;
      // `.ksyms`/`.kconfig`: no section; keep the type count (ids) with an anonymous union of ints.
      v.setUint32(p, 0, true);
      v.setUint32(p + 4, (KIND.UNION << 24) | t.members.length, true);
      v.setUint32(p + 8, 4, true);
      t.members.forEach((_, i) => {
        v.setUint32(p + 12 + 12 * i, 0, true);
        v.setUint32(p + 16 + 12 * i, intId, true);
        v.setUint32(p + 20 + 12 * i, 0, true);
      });
      return;
    }
    v.setUint32(p + 8, sec.size, true);
    const vars = t.members.map((m) => {
      const name = btf.types[m.type]?.name ?? '';
      const sym = elf.symbols.find((s) => s.shndx === sec.index && s.name === name && s.type !== 3);
      return { type: m.type, offset: sym ? sym.value : m.offset, size: m.bitSize };
    }).sort((a, b) => a.offset - b.offset);
    vars.forEach((x, i) => {
      v.setUint32(p + 12 + 12 * i, x.type, true);
      v.setUint32(p + 16 + 12 * i, x.offset, true);
      v.setUint32(p + 20 + 12 * i, x.size, true);
    });
  });
  const remap = (section: string, insnOff: number): number | undefined => {
    const slot = insnOff / INSN_SIZE;
    const p = placements.find((x) => x.section === section && slot >= x.start && slot < x.end);
    return p ? p.base + slot - p.start : undefined;
  };
  const funcInfo: ProgramBtf['funcInfo'] = [];
  const lineInfo: ProgramBtf['lineInfo'] = [];
  for (const [section, list] of ext?.funcInfo ?? []) {
    for (const f of list) {
      const insn = remap(section, f.insnOff);
      if (insn !== undefined) funcInfo.push({ insn, typeId: f.typeId });
    }
  }
  for (const [section, list] of ext?.lineInfo ?? []) {
    for (const l of list) {
      const insn = remap(section, l.insnOff);
      if (insn !== undefined) lineInfo.push({ insn, fileNameOff: l.fileNameOff, lineOff: l.lineOff, lineCol: l.lineCol });
    }
  }
  funcInfo.sort((a, b) => a.insn - b.insn);
  lineInfo.sort((a, b) => a.insn - b.insn);
  return { bytes, funcInfo, lineInfo };
}
