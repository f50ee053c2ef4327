/**
 * ELF loader tests on the committed clang objects in test/elf/: section choice, maps (legacy and BTF),
 * relocations, bpf-to-bpf linking, error messages. Instructions are cross-checked against
 * llvm-objdump-19 and fresh clang-19 builds when those tools exist (skipped visibly otherwise).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadElfProgram } from '../src/ebpf/elf.js';
import { InputError } from '../src/ebpf/errors.js';
import { decodeProgram, validateProgram, type Insn } from '../src/ebpf/insn.js';
import { loadProgram } from '../src/ebpf/load.js';
import type { MapDef, Program } from '../src/ebpf/program.js';
import { repoRoot } from './paths.js';

const ELF_DIR = join(repoRoot, 'test', 'elf');
const obj = (name: string): string => join(ELF_DIR, name);
const bytesOf = (path: string): Uint8Array => new Uint8Array(readFileSync(path));
const load = (path: string, section?: string): Program => loadElfProgram(bytesOf(path), path, section);

function tool(name: string): string | undefined {
  for (const dir of ['/usr/bin', '/usr/local/bin']) if (existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}
const OBJDUMP = tool('llvm-objdump-19');
const CLANG = tool('clang-19');

/** The map definitions by name, without the BTF type ids (checked on their own where they matter). */
const mapsByName = (p: Program): Record<string, Omit<MapDef, 'name'>> =>
  Object.fromEntries(p.maps.map(({ name, btfKeyTypeId: _k, btfValueTypeId: _v, ...rest }) => [name, rest]));

/** One function as llvm-objdump shows it: decoded slots and relocations keyed by slot in the function. */
interface DumpFn { section: string; insns: Insn[]; relocs: Map<number, { type: string; sym: string }> }

function objdump(path: string): Map<string, DumpFn> {
  const text = execFileSync(OBJDUMP!, ['-dr', path], { encoding: 'utf8' });
  const fns = new Map<string, DumpFn>();
  let section = '', cur: (DumpFn & { start: number }) | undefined;
  for (const line of text.split('\n')) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^Disassembly of section (.+):$/))) section = m[1]!;
    else if ((m = line.match(/^([0-9a-f]+) <(.+)>:$/))) {
      cur = { section, insns: [], relocs: new Map(), start: parseInt(m[1]!, 16) / 8 };
      fns.set(m[2]!, cur);
    } else if (cur && (m = line.match(/^\s+[0-9a-f]+:\s+(R_BPF_\w+)\s+(\S+)/))) {
      const off = parseInt(line.trim().split(':')[0]!, 16) / 8 - cur.start;
      cur.relocs.set(off, { type: m[1]!, sym: m[2]! });
    } else if (cur && (m = line.match(/^\s+\d+:\t([0-9a-f]{2}(?: [0-9a-f]{2})*)\s*\t/))) {
      cur.insns.push(...decodeProgram(Uint8Array.from(m[1]!.trim().split(' '), (h) => parseInt(h, 16))));
    }
  }
  return fns;
}

/**
 * Checks that `fn` appears in `ours` at `at`, byte for byte except where relocated: map loads must
 * become src=1/imm=fd, local calls and code-address loads keep their row but get a new offset.
 * Returns [slot, target] for each local call / code-address load, for following the call graph.
 */
function checkFunction(ours: Program, at: number, fn: DumpFn): [number, number][] {
  const edges: [number, number][] = [];
  fn.insns.forEach((want, k) => {
    const got = ours.insns[at + k];
    assert.ok(got, `slot ${at + k} missing`);
    const exp = { ...want };
    const r = fn.relocs.get(k);
    const map = r && ours.maps.find((m) => m.name === r.sym);
    if (r?.type === 'R_BPF_64_64' && map) Object.assign(exp, { src: 1, imm: map.fd });
    else if (r?.type === 'R_BPF_64_64') Object.assign(exp, { src: 4, imm: got.imm }); // code address
    else if (want.op === 0x85 && want.src === 1) exp.imm = got.imm;
    if (k > 0 && fn.insns[k - 1]!.op === 0x18 && fn.relocs.has(k - 1)) exp.imm = 0; // lddw high half
    assert.deepEqual(got, exp, `slot ${at + k} (${fn.section} +${k})`);
    if ((want.op === 0x85 && want.src === 1) || exp.src === 4) edges.push([at + k, at + k + 1 + got.imm]);
  });
  return edges;
}

/** Loads every program of the object and checks it against objdump, following calls into .text. */
function checkAgainstObjdump(path: string, section: string | undefined, entry: string): void {
  const fns = objdump(path);
  const p = load(path, section);
  const seen = new Map<number, string>();
  const visit = (at: number, name: string): void => {
    if (seen.has(at)) return assert.equal(seen.get(at), name);
    seen.set(at, name);
    for (const [, t] of checkFunction(p, at, fns.get(name)!)) {
      const callee = [...fns].find(([, f]) => f.section === '.text' && startsAt(p, t, f));
      assert.ok(callee, `call target ${t} in ${path} is not the start of any .text function`);
      visit(t, callee[0]);
    }
  };
  visit(0, entry);
  const total = [...seen.entries()].reduce((n, [, name]) => n + fns.get(name)!.insns.length, 0);
  assert.equal(p.insns.length, total, 'nothing but the program and the functions it calls');
}

/** Whether slots from `at` look like `f` (opcode, dst, off; src/imm may be relocated). */
function startsAt(p: Program, at: number, f: DumpFn): boolean {
  return f.insns.every((w, k) => p.insns[at + k]?.op === w.op && p.insns[at + k]?.dst === w.dst && p.insns[at + k]?.off === w.off);
}

test('xdp_counter.o: BTF and legacy maps, map-fd relocations, program type', () => {
  const p = load(obj('xdp_counter.o'));
  assert.equal(p.name, 'xdp');
  assert.equal(p.progType, 'xdp');
  // Global data (clang's constant pool in .rodata.cst16) comes after the defined maps.
  const data = p.maps.filter((m) => m.globalData !== undefined);
  assert.deepEqual(data.map((m) => [m.name, m.fd, m.type, m.keySize, m.maxEntries, m.readOnly]), [['.rodata.cst16', 3, 2, 4, 1, true]]);
  assert.deepEqual(mapsByName({ ...p, maps: p.maps.filter((m) => m.globalData === undefined) }), {
    legacy_stats: { fd: 0, type: 6, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0 },
    counters: { fd: 1, type: 2, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 },
    flows: { fd: 2, type: 1, keySize: 16, valueSize: 16, maxEntries: 1024, flags: 1 },
  });
  p.maps.forEach((m, i) => assert.equal(m.fd, i));
  const mapLoads = p.insns.flatMap((ins, i) => (ins.op === 0x18 && ins.src === 1 ? [[i, ins.imm]] : []));
  assert.deepEqual(mapLoads, [[7, 1], [21, 2], [37, 2], [45, 0]]);
  // Constant 64-bit loads stay untouched.
  assert.deepEqual(p.insns[13], { op: 0x18, dst: 1, src: 0, off: 0, imm: 0x40003 });
  assert.equal(p.insns.length, 54);
  validateProgram(p.insns);
});

test('socket_filter.o: legacy map and BPF_LD|ABS packet loads', () => {
  const p = load(obj('socket_filter.o'));
  assert.equal(p.name, 'socket');
  assert.equal(p.progType, 'socket_filter');
  assert.deepEqual(mapsByName(p), { proto_count: { fd: 0, type: 2, keySize: 4, valueSize: 8, maxEntries: 256, flags: 0 } });
  assert.deepEqual(p.insns[2], { op: 0x28, dst: 0, src: 0, off: 0, imm: 12 }); // ldabsh [12]
  assert.deepEqual(p.insns[8], { op: 0x18, dst: 1, src: 1, off: 0, imm: 0 });
  validateProgram(p.insns);
});

test('two_progs.o: several programs need a choice, by section or function name', () => {
  const f = obj('two_progs.o');
  assert.throws(() => load(f), (e: Error) => e instanceof InputError &&
    e.message === 'several programs: xdp_prog (xdp), tc_prog (classifier); choose one with --section');
  assert.throws(() => load(f, 'nope'), /no program 'nope' \(available: xdp_prog \(xdp\), tc_prog \(classifier\)\)/);
  assert.equal(load(f, 'xdp').progType, 'xdp');
  assert.equal(load(f, 'xdp_prog').name, 'xdp');
  assert.equal(load(f, 'classifier').progType, 'sched_cls');
  assert.equal(load(f, 'tc_prog').progType, 'sched_cls');
  // Through the general loader: the file prefixes the message and the chosen program validates.
  assert.throws(() => loadProgram(f), (e: Error) => e.message.startsWith(`${f}: several programs`));
  assert.equal(loadProgram(f, { section: 'xdp' }).insns.length, 5 + 18 + 7);
});

test('two_progs.o: bpf-to-bpf calls link the reachable .text functions after the program', () => {
  const p = load(obj('two_progs.o'), 'xdp');
  assert.deepEqual(mapsByName(p), { hits: { fd: 0, type: 2, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 } });
  // xdp_prog (5 slots) calls bump (18), which calls clamp_len (7); add_step is not reachable.
  assert.equal(p.insns.length, 30);
  assert.deepEqual(p.insns[3], { op: 0x85, dst: 0, src: 1, off: 0, imm: 1 }); // → slot 5 (bump)
  assert.deepEqual(p.insns[10], { op: 0x18, dst: 1, src: 1, off: 0, imm: 0 }); // map load inside bump
  assert.deepEqual(p.insns[17], { op: 0x85, dst: 0, src: 1, off: 0, imm: 5 }); // → slot 23 (clamp_len)
  validateProgram(p.insns);
  // The callback passed to bpf_loop becomes a BPF_PSEUDO_FUNC load of its relative slot.
  const tc = load(obj('two_progs.o'), 'tc_prog');
  assert.deepEqual(tc.insns[6], { op: 0x18, dst: 2, src: 4, off: 0, imm: 10 });
  assert.equal(tc.insns.length, 17 + 5);
  validateProgram(tc.insns);
});

const OBJECTS: [file: string, section: string | undefined, entry: string][] = [
  ['xdp_counter.o', undefined, 'xdp_count'],
  ['socket_filter.o', undefined, 'tcp_only'],
  ['two_progs.o', 'xdp', 'xdp_prog'],
  ['two_progs.o', 'classifier', 'tc_prog'],
];

test('instructions equal llvm-objdump-19 -d, except the relocated fields', { skip: OBJDUMP ? false : 'llvm-objdump-19 not found' }, () => {
  for (const [file, section, entry] of OBJECTS) checkAgainstObjdump(obj(file), section, entry);
});

test('fresh clang-19 builds of test/elf/*.c load like the committed objects', { skip: CLANG ? false : 'clang-19 not found (committed objects were still tested)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'k2lab-elf-'));
  try {
    for (const [file, section, entry] of OBJECTS) {
      const out = join(dir, file);
      if (!existsSync(out)) execFileSync(CLANG!, ['-O2', '-g', '-target', 'bpf', '-c', obj(file.replace(/\.o$/, '.c')), '-o', out]);
      const fresh = load(out, section), committed = load(obj(file), section);
      assert.deepEqual(fresh.maps, committed.maps, file);
      assert.equal(fresh.progType, committed.progType, file);
      assert.equal(fresh.name, committed.name, file);
      validateProgram(fresh.insns);
      if (OBJDUMP) checkAgainstObjdump(out, section, entry);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('global_data.o: .bss becomes a single-entry array map addressed by a map-value load', () => {
  const p = load(obj('global_data.o'));
  assert.deepEqual(p.maps.map(({ initialValue, ...m }) => ({ ...m, initialValue: [...initialValue ?? []] })), [
    { name: '.bss', fd: 0, type: 2, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0, globalData: '.bss', readOnly: false, initialValue: [0, 0, 0, 0] },
  ]);
  assert.deepEqual(p.insns[0], { op: 0x18, dst: 1, src: 2, off: 0, imm: 0 });
  assert.equal(p.insns[1]!.imm, 0);
  assert.equal(p.license, 'GPL');
  validateProgram(p.insns);
});

test('error cases are one-line InputErrors', () => {
  const good = bytesOf(obj('xdp_counter.o'));
  const err = (bytes: Uint8Array, re: RegExp, section?: string): void => {
    assert.throws(() => loadElfProgram(bytes, 'x.o', section), (e: Error) => e instanceof InputError && re.test(e.message) && !e.message.includes('\n'));
  };
  err(new TextEncoder().encode('this is not an object file at all'), /not an ELF file \(bad magic\)/);
  err(new Uint8Array(0), /not an ELF file/);
  err(good.subarray(0, 40), /truncated ELF header \(40 of 64 bytes\)/);
  err(good.subarray(0, 1000), /out of bounds/);
  const cls32 = good.slice(); cls32[4] = 1;
  err(cls32, /not a 64-bit ELF/);
  const be = good.slice(); be[5] = 2;
  err(be, /big-endian/);
  const x86 = good.slice(); x86[18] = 62; x86[19] = 0;
  err(x86, /not a BPF object \(e_machine 62, x86-64; expected 247 EM_BPF\)/);
  // An unknown relocation type on the first map load (r_offset 0x38, type R_BPF_64_64 → 99).
  const pat = [0x38, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0];
  const at = good.findIndex((_, i) => pat.every((b, k) => good[i + k] === b));
  assert.ok(at > 0);
  const badRel = good.slice(); badRel[at + 8] = 99;
  err(badRel, /unknown relocation type 99/);
  err(bytesOf(obj('no_prog.o')), /no program section/);
});

test('a non-BPF ELF executable (/bin/true) is refused by machine', { skip: existsSync('/bin/true') ? false : '/bin/true not found' }, () => {
  const bytes = bytesOf('/bin/true');
  if (bytes[0] !== 0x7f) return; // Not ELF on this system (e.g. a script): nothing to check.
  assert.throws(() => loadElfProgram(bytes, '/bin/true'), /not a BPF object \(e_machine \d+/);
});
