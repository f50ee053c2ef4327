/**
 * Loader for clang BPF objects (ELF64 little-endian, EM_BPF), written from the ELF spec and libbpf's
 * conventions: picks one program (section or function), links the `.text` subprograms it calls,
 * turns map and global-data relocations into map-fd / map-value loads, resolves kfunc calls and
 * CO-RE relocations against the target BTF (the running kernel's, or `--btf FILE`), and carries
 * the object's license, BTF and this program's function/line info for the kernel.
 */
import { parseBtf, type Btf } from './btf.js';
import { parseBtfExt, type BtfExt } from './btf-ext.js';
import { applyCoreRelo, describeRelo } from './core.js';
import { ElfFile, R_BPF, STB_LOCAL, STT, fail, isCode, type Reloc, type Section } from './elf-file.js';
import { kernelLoadableBtf } from './elf-info.js';
import { readMaps, sizeMaps, type MapSlot } from './elf-maps.js';
import { InputError } from './errors.js';
import { decodeInsn, INSN_SIZE, LDDW_OPCODE, type Insn } from './insn.js';
import { KIND, findType } from './btf.js';
import { targetBtf } from './kernel-btf.js';
import { CALL_KIND, Opcode, PSEUDO } from './opcodes.js';
import { progTypeFromSection, type Program } from './program.js';

export interface ElfLoadOptions {
  /** Target BTF for CO-RE and kfuncs (default /sys/kernel/btf/vmlinux, read only when needed). */
  btf?: string;
  /** `--map-size NAME=N`: max_entries overrides. */
  mapSizes?: ReadonlyMap<string, number>;
}


/** A function (or a whole section without function symbols): a contiguous run of slots. */
interface Unit { sec: Section; start: number; end: number; name: string }
/** Where each linked unit landed: for relocations and info records keyed by section offsets. */
interface Placed { unit: Unit; base: number }


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

/** What linking needs besides the object: its maps and a lazily loaded target BTF (kfuncs). */
interface LinkContext { elf: ElfFile; maps: MapSlot[]; target: () => Btf; kfuncs: NonNullable<Program['kfuncs']> }

/** Copies the entry unit and every unit it reaches by calls, fixing call offsets and map loads. */
function link(cx: LinkContext, entry: Unit): { insns: Insn[]; placed: Placed[] } {
  const { elf, maps } = cx;
  const out: Insn[] = [];
  const placed: Placed[] = [];
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
        if (r) applyLddw(cx, r, ins, out[at + 1]!, where, (s, sl) => target(s, sl, where) - (at + 1));
        slot++;
      } else if (ins.op === Opcode.CALL && ins.src === CALL_KIND.LOCAL) {
        let dest: number;
        if (r) {
          if (r.type !== R_BPF.R64_32) fail(`${where}: unexpected relocation type ${r.type} on a call`);
          const s = elf.sym(r.sym);
          if (s.shndx === 0) { resolveKfunc(cx, ins, s.name, at, where); continue; }
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
  return { insns: out, placed };
}

/** An extern function called from the program: a kernel function (kfunc) named in the target BTF. */
function resolveKfunc(cx: LinkContext, ins: Insn, name: string, at: number, where: string): void {
  const btf = cx.target();
  const id = findType(btf, name, KIND.FUNC) ?? fail(`${where}: kfunc '${name}' is not a function of the target kernel's BTF`);
  Object.assign(ins, { src: CALL_KIND.KFUNC, off: 0, imm: id });
  cx.kfuncs.push({ insn: at, name, btfId: id });
}

/**
 * R_BPF_64_64 on a 64-bit immediate load: map reference → map-fd load; global data → map-value
 * load (imm = the data map, second imm = offset); code address → BPF_PSEUDO_FUNC.
 */
function applyLddw(cx: LinkContext, r: Reloc, lo: Insn, hi: Insn, where: string, funcRel: (sec: number, slot: number) => number): void {
  const { elf, maps } = cx;
  const s = elf.sym(r.sym);
  if (r.type !== R_BPF.R64_64) fail(`${where}: unknown relocation type ${r.type} on a 64-bit load of '${s.name}'`);
  if (s.shndx === 0) {
    const k = maps.find((m) => m.externs?.has(s.name)) ?? fail(`${where}: unresolved external symbol '${s.name}' (only .kconfig extern variables are supported, not typed ksyms)`);
    const addend = r.addend ?? lo.imm;
    Object.assign(lo, { src: PSEUDO.MAP_VALUE, imm: k.def.fd });
    hi.imm = k.externs!.get(s.name)! + addend;
    return;
  }
  const sec = elf.section(s.shndx) ?? fail(`${where}: symbol '${s.name}' is in missing section ${s.shndx}`);
  const offset = s.value + (r.addend ?? lo.imm);
  if (sec.name === 'maps' || sec.name === '.maps') {
    const m = maps.find((x) => x.sec === sec.index && offset >= x.start && offset < x.end) ?? fail(`${where}: no map at ${sec.name}+${offset} (symbol '${s.name}')`);
    Object.assign(lo, { src: PSEUDO.MAP_FD, imm: m.def.fd });
    hi.imm = 0;
  } else if (isCode(sec)) {
    Object.assign(lo, { src: PSEUDO.FUNC, imm: funcRel(sec.index, offset / INSN_SIZE) });
    hi.imm = 0;
  } else {
    const m = maps.find((x) => x.sec === sec.index && x.def.globalData !== undefined)
      ?? fail(`${where}: relocation against '${s.name}' in section '${sec.name}' is not supported`);
    if (offset < 0 || offset > sec.size) fail(`${where}: '${s.name}'+${offset - s.value} is outside ${sec.name} (${sec.size} bytes)`);
    Object.assign(lo, { src: PSEUDO.MAP_VALUE, imm: m.def.fd });
    hi.imm = offset;
  }
}

/** CO-RE relocations of every placed unit, applied at their linked positions. */
function relocateCore(prog: Program, local: Btf, ext: BtfExt, placed: Placed[], target: () => Btf): void {
  for (const { unit: u, base } of placed) {
    for (const r of ext.coreRelos.get(u.sec.name) ?? []) {
      const slot = r.insnOff / INSN_SIZE;
      if (slot < u.start || slot >= u.end) continue;
      const at = base + slot - u.start;
      let result: string;
      try {
        result = applyCoreRelo(local, target(), r, prog.insns, at);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        throw new InputError(`${u.sec.name}: instruction ${at} (${u.name}+${slot - u.start}): ${describeRelo(local, r)}: ${e.message}`);
      }
      if (result === 'poisoned') (prog.poisoned ??= []).push({ insn: at, relocation: describeRelo(local, r) });
    }
  }
}

/** Every program of the object, by the name `--section` takes (the function name when a section holds several). */
export function listElfPrograms(bytes: Uint8Array): { name: string; section: string; function: string }[] {
  const elf = new ElfFile(bytes);
  const all = candidates(elf);
  return all.map((u) => ({ name: all.filter((x) => x.sec === u.sec).length > 1 ? u.name : u.sec.name, section: u.sec.name, function: u.name }));
}

/** Load one program from a clang BPF object. `section` names a section or a function in one. */
export function loadElfProgram(bytes: Uint8Array, file: string, section?: string, opts: ElfLoadOptions = {}): Program {
  const elf = new ElfFile(bytes);
  const all = candidates(elf);
  const entry = choose(all, section);
  const btfSec = elf.sections.find((s) => s.name === '.BTF');
  const btf = btfSec ? parseBtf(elf.data(btfSec)) : undefined;
  const extSec = elf.sections.find((s) => s.name === '.BTF.ext');
  const ext = btf && extSec ? parseBtfExt(elf.data(extSec), btf) : undefined;
  const mapSlots = readMaps(elf, btf);
  const maps = mapSlots.map((m) => m.def);
  sizeMaps(maps, opts.mapSizes);
  const target = (): Btf => targetBtf(opts.btf);
  const kfuncs: NonNullable<Program['kfuncs']> = [];
  const { insns, placed } = link({ elf, maps: mapSlots, target, kfuncs }, entry);
  const shared = all.filter((u) => u.sec === entry.sec).length > 1;
  const prog: Program = { name: shared ? `${entry.sec.name}:${entry.name}` : entry.sec.name, source: file, insns, maps, section: entry.sec.name };
  if (kfuncs.length > 0) prog.kfuncs = kfuncs;
  prog.functions = placed.map((p) => ({ name: p.unit.name, insn: p.base }));
  if (btf && ext) relocateCore(prog, btf, ext, placed, target);
  const license = elf.sections.find((s) => s.name === 'license');
  if (license) prog.license = new TextDecoder().decode(elf.data(license)).replace(/\0.*$/s, '');
  if (btf) prog.btf = kernelLoadableBtf(elf, btf, ext, placed.map((p) => ({ section: p.unit.sec.name, start: p.unit.start, end: p.unit.end, base: p.base })));
  const t = progTypeFromSection(entry.sec.name);
  if (t) prog.progType = t;
  return prog;
}
