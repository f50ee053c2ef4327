/**
 * The maps of a clang BPF object, as libbpf makes them: legacy `maps` definitions, BTF-defined
 * `.maps` (map-in-map included: the inner definition and the `values` initialisers), and one
 * single-entry array per global data section (`.data*`, `.rodata*`, `.bss*`) holding the section's
 * bytes. Maps whose size the object leaves to the loader (max_entries 0) get a documented default;
 * `--map-size NAME=N` overrides any map's max_entries.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { KIND, btfSizeOf, type Btf } from './btf.js';
import { btfMapAttrs, type BtfMapAttrs } from './elf-btf.js';
import { ElfFile, SHT, STT, fail, type Section } from './elf-file.js';
import { MAP_TYPES, type MapDef } from './program.js';

/** A map and the bytes of the ELF section its definition (or data) occupies. */
export interface MapSlot {
  sec: number; start: number; end: number; def: MapDef;
  /** `.kconfig`: extern variable name → offset in the map's value. */
  externs?: Map<string, number>;
}

/** max_entries for maps the object declares with 0 (their projects' loaders size them at run time). */
export const DEFAULT_MAX_ENTRIES = 1024;
/** Ring buffers: bytes, a power of two and a multiple of the page size (256 KiB, libbpf-bootstrap's choice). */
export const DEFAULT_RINGBUF_BYTES = 256 * 1024;
const PAGE = 4096;
/** Frames per stack in stack trace maps whose value size the object leaves to the loader. */
export const DEFAULT_STACK_DEPTH = 127;

/** num_possible_cpus(), as the kernel counts them (/sys/devices/system/cpu/possible); 1 when unknown. */
export function possibleCpus(): number {
  try {
    let n = 0;
    for (const part of readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',')) {
      const [a, b] = part.split('-').map(Number);
      n += b === undefined ? 1 : b - a! + 1;
    }
    return n > 0 ? n : 1;
  } catch {
    return 1;
  }
}

const SHF_ALLOC = 0x2;
const MAP_IN_MAP = new Set<number>([MAP_TYPES.array_of_maps, MAP_TYPES.hash_of_maps]);
/** BPF_F_RDONLY_PROG: programs may only read (libbpf sets it on .rodata and .kconfig). */
export const BPF_F_RDONLY_PROG = 1 << 7;

/** Global data sections: allocated, not code, named like libbpf's data sections. */
export function isGlobalDataSection(s: Section): boolean {
  return (s.type === SHT.PROGBITS || s.type === SHT.NOBITS) && (s.flags & SHF_ALLOC) !== 0 && (s.flags & 0x4) === 0
    && /^\.(data|rodata|bss)(\.|$)/.test(s.name) && s.size > 0;
}

function fromAttrs(name: string, fd: number, a: BtfMapAttrs): MapDef {
  const def: MapDef = { name, fd, type: a.type, keySize: a.keySize, valueSize: a.valueSize, maxEntries: a.maxEntries, flags: a.flags };
  if (MAP_IN_MAP.has(a.type)) {
    // The value of a map-in-map is an inner map's fd (u32); libbpf fills the sizes in.
    if (def.valueSize === 0) def.valueSize = 4;
    if (def.keySize === 0 && a.type === MAP_TYPES.array_of_maps) def.keySize = 4;
    if (!a.inner) fail(`map-in-map '${name}' has no inner map definition (__array(values, ...))`);
  }
  if (a.inner) def.inner = fromAttrs(`${name}.inner`, -1, a.inner);
  if (a.btfValueTypeId !== undefined) { def.btfValueTypeId = a.btfValueTypeId; def.btfKeyTypeId = a.btfKeyTypeId ?? 0; }
  if (a.kernelManaged) def.kernelManaged = a.kernelManaged;
  return def;
}

/** The next power of two ≥ n that is a multiple of the page size (the kernel's ring buffer rule). */
export function ringbufSize(n: number): number {
  let s = PAGE;
  while (s < n) s *= 2;
  return s;
}

/** Applies the defaults for unsized maps and the `--map-size` overrides (which must all name a map). */
export function sizeMaps(maps: MapDef[], overrides: ReadonlyMap<string, number> = new Map()): void {
  for (const name of overrides.keys()) {
    if (!maps.some((m) => m.name === name)) fail(`--map-size: no map '${name}' (maps: ${maps.map((m) => m.name).join(', ') || 'none'})`);
  }
  for (const m of maps) {
    const o = overrides.get(m.name);
    if (o !== undefined) { m.maxEntries = o; m.sizedBy = 'override'; } else if (m.maxEntries === 0) {
      // Per-CPU objects get one slot per possible CPU (libbpf's rule for perf event arrays, the
      // kernel's limit for cpumaps); ring buffers a size in bytes; the rest a fixed default.
      m.maxEntries = m.type === MAP_TYPES.ringbuf ? DEFAULT_RINGBUF_BYTES
        : m.type === MAP_TYPES.perf_event_array || m.type === MAP_TYPES.cpumap ? possibleCpus() : DEFAULT_MAX_ENTRIES;
      m.sizedBy = 'default';
    }
    if (m.type === MAP_TYPES.stack_trace && m.valueSize === 0) {
      // bcc's tools size stack maps at run time: PERF_MAX_STACK_DEPTH (127) frames of 8 bytes.
      m.valueSize = DEFAULT_STACK_DEPTH * 8;
      m.sizedBy = 'default';
    }
    if (m.type === MAP_TYPES.ringbuf && m.maxEntries > 0) m.maxEntries = ringbufSize(m.maxEntries);
  }
}

/** All maps of the object: legacy, then BTF-defined (section then offset order), then global data; fd = index. */
export function readMaps(elf: ElfFile, btf: Btf | undefined): MapSlot[] {
  const out: MapSlot[] = [];
  for (const sec of elf.sections) {
    if (sec.name !== 'maps' && sec.name !== '.maps') continue;
    const syms = elf.symbols.filter((s) => s.shndx === sec.index && s.type !== STT.SECTION && s.name !== '').sort((a, b) => a.value - b.value);
    if (sec.name === '.maps' && syms.length > 0 && !btf) fail("'.maps' section needs BTF, but there is no .BTF section (compile with -g)");
    const data = elf.data(sec);
    const dv = new DataView(data.buffer, data.byteOffset, data.length);
    for (const s of syms) {
      // Legacy definitions without symbol sizes: libbpf divides the section evenly.
      const size = s.size > 0 ? s.size : Math.floor(sec.size / syms.length);
      const fd = out.length;
      let def: MapDef;
      if (sec.name === '.maps') {
        const attrs = btfMapAttrs(btf!, s.name);
        def = fromAttrs(s.name, fd, attrs);
        if (attrs.valuesOffset !== undefined) def.innerSlots = innerSlots(elf, sec, s.value, s.value + size, s.value + attrs.valuesOffset);
      } else {
        if (size < 16 || s.value + size > sec.size) fail(`legacy map '${s.name}': definition of ${size} bytes at offset ${s.value} does not fit 'maps' (${sec.size} bytes; need ≥ 16)`);
        const u = (i: number): number => dv.getUint32(s.value + 4 * i, true);
        def = { name: s.name, fd, type: u(0), keySize: u(1), valueSize: u(2), maxEntries: u(3), flags: size >= 20 ? u(4) : 0 };
      }
      out.push({ sec: sec.index, start: s.value, end: s.value + Math.max(size, 1), def });
    }
  }
  for (const sec of elf.sections.filter(isGlobalDataSection)) {
    const readOnly = sec.name.startsWith('.rodata');
    const def: MapDef = {
      name: sec.name, fd: out.length, type: MAP_TYPES.array, keySize: 4, valueSize: sec.size, maxEntries: 1,
      flags: readOnly ? BPF_F_RDONLY_PROG : 0, globalData: sec.name, initialValue: elf.data(sec).slice(), readOnly,
    };
    out.push({ sec: sec.index, start: 0, end: sec.size, def });
  }
  const kconfig = kconfigMap(elf, btf, out.length);
  if (kconfig) out.push({ ...kconfig.slot, externs: kconfig.offsets });
  return out;
}

/** `values = { [i] = &inner_map }` initialisers: relocations inside the definition's `values` array. */
function innerSlots(elf: ElfFile, sec: Section, start: number, end: number, valuesAt: number): { index: number; map: string }[] {
  const out: { index: number; map: string }[] = [];
  for (const [off, r] of elf.relocs(sec)) {
    if (off < valuesAt || off >= Math.max(end, valuesAt + 1) || off < start) continue;
    out.push({ index: (off - valuesAt) / 8, map: elf.sym(r.sym).name });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Values libbpf gives its own `.kconfig` externs on a current kernel. */
const LIBBPF_VIRTUAL: Record<string, () => bigint> = {
  LINUX_KERNEL_VERSION: () => {
    const [a = 0, b = 0, c = 0] = release().split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
    return BigInt((a << 16) + (b << 8) + Math.min(c, 255));
  },
  LINUX_HAS_BPF_COOKIE: () => 1n,
  LINUX_HAS_SYSCALL_WRAPPER: () => 1n,
};

function release(): string {
  try { return readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(); } catch { return '0.0.0'; }
}

let kernelConfig: Map<string, string> | undefined;

/** CONFIG_* of the running kernel (/proc/config.gz, else /boot/config-RELEASE); empty when neither exists. */
function config(): Map<string, string> {
  if (kernelConfig) return kernelConfig;
  kernelConfig = new Map();
  let text = '';
  try { text = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8'); } catch {
    try { text = readFileSync(`/boot/config-${release()}`, 'utf8'); } catch { /* no config: weak externs get 0 */ }
  }
  for (const line of text.split('\n')) {
    const m = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (m) kernelConfig.set(m[1]!, m[2]!);
  }
  return kernelConfig;
}

/**
 * The `.kconfig` externs (`extern int LINUX_KERNEL_VERSION __kconfig;`) as one read-only global
 * data map, as libbpf makes it: each variable at an offset aligned to its size, filled from the
 * running kernel's config or libbpf's virtual values; an unknown weak extern is 0, a strong one
 * is an error naming it.
 */
export function kconfigMap(elf: ElfFile, btf: Btf | undefined, fd: number): { slot: MapSlot; offsets: Map<string, number> } | undefined {
  const sec = btf?.types.find((t) => t?.kind === KIND.DATASEC && t.name === '.kconfig');
  if (!btf || !sec || sec.members.length === 0) return undefined;
  const offsets = new Map<string, number>();
  const vars = sec.members.map((m) => ({ name: btf.types[m.type]?.name ?? '', size: m.bitSize || btfSizeOf(btf, btf.types[m.type]!.sizeOrType) }));
  let size = 0;
  for (const x of vars) {
    const align = Math.min(8, x.size & -x.size || 1);
    size = Math.ceil(size / align) * align;
    offsets.set(x.name, size);
    size += x.size;
  }
  const value = new Uint8Array(Math.max(size, 1));
  const dv = new DataView(value.buffer);
  for (const x of vars) {
    const weak = elf.symbols.some((s) => s.name === x.name && s.shndx === 0 && s.bind === 2);
    const off = offsets.get(x.name)!;
    const raw = LIBBPF_VIRTUAL[x.name]?.() ?? configValue(x.name);
    if (raw === undefined && !weak) fail(`.kconfig extern '${x.name}' is unknown on this kernel (not in its config) and not __weak`);
    const v = raw ?? 0n;
    if (x.size === 1) dv.setUint8(off, Number(v & 0xffn));
    else if (x.size === 2) dv.setUint16(off, Number(v & 0xffffn), true);
    else if (x.size === 4) dv.setUint32(off, Number(v & 0xffffffffn), true);
    else if (x.size === 8) dv.setBigUint64(off, BigInt.asUintN(64, v), true);
  }
  const def: MapDef = {
    name: '.kconfig', fd, type: MAP_TYPES.array, keySize: 4, valueSize: value.length, maxEntries: 1,
    flags: BPF_F_RDONLY_PROG, globalData: '.kconfig', initialValue: value, readOnly: true,
  };
  return { slot: { sec: -1, start: 0, end: value.length, def }, offsets };
}

/** A CONFIG_ value as libbpf stores it: y = 1, m = 2, n = 0, numbers as numbers. */
function configValue(name: string): bigint | undefined {
  if (!name.startsWith('CONFIG_')) return undefined;
  const v = config().get(name);
  if (v === undefined) return config().size > 0 ? 0n : undefined;
  if (v === 'y') return 1n;
  if (v === 'm') return 2n;
  if (v === 'n') return 0n;
  try { return BigInt(v); } catch { return undefined; }
}
