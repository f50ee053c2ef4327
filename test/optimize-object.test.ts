/**
 * Objects in, objects out (issue #17): compaction fixes every relative target; writing an object
 * back with no change gives the same bytes for the whole real-world corpus; a rewrite moves
 * relocations, function symbols and .BTF.ext line info with the slots; and end to end, a clang
 * object optimized under a time limit loads with bpftool, agrees with the input in the kernel and
 * holds no `goto +0`; Ctrl-C still writes; bad input is one line and exit 2.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { assemble } from '../src/ebpf/asm.js';
import { parseBtfExt, btfStrings } from '../src/ebpf/btf-ext-records.js';
import { disassemble } from '../src/ebpf/disasm.js';
import { inspectObject, rewriteObject, sectionData } from '../src/ebpf/elf-write.js';
import { kernelUnavailableReason } from '../src/kernel/index.js';
import { compact } from '../src/optimize/index.js';
import { NOP } from '../src/ebpf/k2-isa.js';
import { repoRoot, sharedAvailable, sharedDir } from './paths.js';

const corpus = join(sharedDir, 'real-world', 'objs');
const pktcntr = join(corpus, 'facebookincubator+katran', 'xdp_pktcntr.o');
const noCorpus = sharedAvailable && existsSync(corpus) ? false : `${corpus} is absent`;
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const noE2e = noCorpus || kernelUnavailableReason() || (has('bpftool') ? false : 'bpftool is not installed (Debian package bpftool)') || (has('z3') ? false : 'z3 is not installed');

test('compaction: NOPs leave, every jump lands where it did (a deleted target means the next kept slot)', () => {
  const p = assemble(['r0 = 0', 'if r1 == 0 goto +2', 'goto +0', 'r0 = 1', 'goto +0', 'r2 = 5 ll', 'if r2 != 5 goto -7', 'exit'].join('\n'));
  const c = compact(p);
  assert.deepEqual(disassemble(c.insns), ['r0 = 0', 'if r1 == 0 goto +1', 'r0 = 1', 'r2 = 5 ll', 'if r2 != 5 goto -5', 'exit']);
  assert.equal(c.removed, 2);
  assert.deepEqual([...c.newSlot], [0, 1, 2, 2, 3, 3, 4, 5, 6, 7], 'old → new slots (a deleted slot: the next kept one)');
  const same = assemble('r0 = 0\nexit');
  assert.deepEqual(compact(same).insns, same, 'nothing to remove: the same program');
  assert.deepEqual(compact([...same.slice(0, 1), { ...NOP }, ...same.slice(1)]).insns, same);
});

test('writing an object back unchanged gives the same bytes (all 76 real-world objects)', { skip: noCorpus }, () => {
  const objs = readdirSync(corpus, { recursive: true }).map(String).filter((f) => f.endsWith('.o'));
  assert.ok(objs.length >= 70, `found ${objs.length} objects`);
  for (const f of objs) {
    const bytes = new Uint8Array(readFileSync(join(corpus, f)));
    const code = inspectObject(bytes).filter((c) => c.name !== '.text');
    const out = rewriteObject(bytes, code.map((c) => ({ name: c.name, insns: c.raw, newSlot: Int32Array.from({ length: c.slots + 1 }, (_, i) => i) })));
    assert.ok(Buffer.from(out).equals(Buffer.from(bytes)), f);
  }
});

test('a rewrite moves relocations, the function symbol and .BTF.ext line info with the slots', { skip: noCorpus }, () => {
  const bytes = new Uint8Array(readFileSync(pktcntr));
  const [xdp] = inspectObject(bytes).filter((c) => c.name === 'xdp');
  assert.ok(xdp && xdp.relocated.size > 0);
  const c = compact([{ ...NOP }, ...xdp.raw.slice(1)]); // slot 0 deleted: everything moves up by one
  const out = rewriteObject(bytes, [{ name: 'xdp', insns: c.insns, newSlot: c.newSlot }]);
  const [after] = inspectObject(out).filter((x) => x.name === 'xdp');
  assert.equal(after!.slots, xdp.slots - 1);
  assert.deepEqual([...after!.relocated].sort(), [...xdp.relocated].map((s) => s - 1).sort());
  assert.deepEqual(after!.functions.map((f) => [f.start, f.end]), [[0, xdp.slots - 1]]);
  const sec = (b: Uint8Array, name: string): Uint8Array => sectionData(b, name)!;
  {
    const lines = (b: Uint8Array): number[] => parseBtfExt(sec(b, '.BTF.ext'), btfStrings(sec(b, '.BTF'))).parts.find((p) => p.kind === 'line')!.blocks.find((x) => x.secName === 'xdp')!.records.map((r) => new DataView(r.buffer, r.byteOffset).getUint32(0, true) / 8);
    const before = lines(bytes), moved = lines(out);
    assert.equal(moved[0], 0, 'the first line record stays at slot 0');
    assert.deepEqual(moved.slice(1), before.filter((s) => s > 1).map((s) => s - 1), 'the others move up by one');
    if (has('llvm-objdump-19')) {
      const dir = mkdtempSync(join(tmpdir(), 'k2lab-rw-'));
      writeFileSync(join(dir, 'o.o'), out);
      const d = spawnSync('llvm-objdump-19', ['-d', '-l', join(dir, 'o.o')], { encoding: 'utf8' });
      rmSync(dir, { recursive: true, force: true });
      assert.equal(d.status, 0, d.stderr);
      assert.match(d.stdout, /pktcntr/);
    }
  }
});

test('a section of several functions: NOPs go only where allowed, every function symbol moves', { skip: noCorpus }, () => {
  const bytes = new Uint8Array(readFileSync(join(corpus, 'xdp-project+xdp-tools', 'xdp_redirect_devmap.o')));
  const [sec] = inspectObject(bytes).filter((c) => c.name === 'xdp/devmap');
  assert.deepEqual(sec!.functions.map((f) => [f.start, f.end]), [[0, 15], [15, 17]]);
  const insns = sec!.raw.map((x, i) => (i === 0 || i === 16 ? { ...NOP } : x)); // slot 16: a NOP outside the allowed range stays
  const c = compact(insns, (slot) => slot < 15);
  const out = rewriteObject(bytes, [{ name: 'xdp/devmap', insns: c.insns, newSlot: c.newSlot }]);
  const [after] = inspectObject(out).filter((x) => x.name === 'xdp/devmap');
  assert.deepEqual(after!.functions.map((f) => [f.start, f.end]), [[0, 14], [14, 16]]);
  assert.deepEqual(disassemble(after!.raw.slice(15)), ['goto +0']);
});

function k2lab(args: string[], timeoutMs = 60_000) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['bin/k2lab.js', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: timeoutMs });
  return { ...r, seconds: (Date.now() - t0) / 1000 };
}

function programsLoaded(obj: string): number {
  const pin = `/sys/fs/bpf/k2lab-test-${process.pid}`;
  rmSync(pin, { recursive: true, force: true });
  const r = spawnSync('bpftool', ['prog', 'loadall', obj, pin], { encoding: 'utf8' });
  const n = r.status === 0 ? readdirSync(pin).length : 0;
  rmSync(pin, { recursive: true, force: true });
  return n;
}

test('end to end: optimize OBJ --time-limit 8 -o OUT.o → smaller, proved, loads with bpftool, agrees in the kernel, no goto +0', { skip: noE2e }, () => {
  if (spawnSync('mountpoint', ['-q', '/sys/fs/bpf']).status !== 0) spawnSync('mount', ['-t', 'bpf', 'bpf', '/sys/fs/bpf']);
  const dir = mkdtempSync(join(tmpdir(), 'k2lab-obj-'));
  try {
    const out = join(dir, 'pktcntr.opt.o'), json = join(dir, 'r.json');
    const r = k2lab(['optimize', pktcntr, '--time-limit', '8', '-o', out, '--json', json]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.seconds < 9.5, `the limit holds (${r.seconds} s for 8 s)`);
    assert.match(r.stdout, /xdp\s+22 → \d+\s+(whole-program|window-chain)\s+accepted, 1000\/1000 inputs agree/);
    const rep = JSON.parse(readFileSync(json, 'utf8')) as { bound: string; reports: { bound: string; bestInsnCount: number; verified: string; kernelAccepted: boolean }[] };
    assert.equal(rep.reports[0]!.bound, 'time');
    assert.ok(rep.reports[0]!.bestInsnCount < 22 && rep.reports[0]!.kernelAccepted);
    assert.equal(programsLoaded(out), programsLoaded(pktcntr));
    assert.equal(programsLoaded(out), 1);
    assert.doesNotMatch(spawnSync('llvm-objdump-19', ['-d', out], { encoding: 'utf8' }).stdout, /goto \+0x0\b/);
    const d = k2lab(['difftest', pktcntr, '--against', out, '--packets', '1000']);
    assert.equal(d.status, 0, d.stdout + d.stderr);
    assert.match(d.stdout, /1000 inputs, 0 mismatches/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Ctrl-C stops the search and still writes the object and the report', { skip: noE2e }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k2lab-int-'));
  try {
    const out = join(dir, 'o.o'), json = join(dir, 'r.json');
    const c = spawn(process.execPath, ['bin/k2lab.js', 'optimize', pktcntr, '--time-limit', '60', '-o', out, '--json', json], { cwd: repoRoot, stdio: 'ignore' });
    await new Promise((res) => setTimeout(res, 4000));
    const t0 = Date.now();
    c.kill('SIGINT');
    const code = await new Promise<number | null>((res) => c.on('close', res));
    assert.equal(code, 130);
    assert.ok(Date.now() - t0 < 8000, `stopped in ${Date.now() - t0} ms`);
    assert.ok(existsSync(out) && existsSync(json));
    assert.equal(programsLoaded(out), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: unknown section, unwritable output, an object with no program, -o FILE.o for K2 files: one line, exit 2, nothing written', { skip: noCorpus }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'k2lab-bad-'));
  try {
    const cases: [string[], RegExp][] = [
      [['optimize', pktcntr, '--section', 'nope', '-o', join(dir, 'a.o')], /no program section 'nope' \(available: xdp\)/],
      [['optimize', pktcntr, '-o', '/proc/no/such/dir/a.o'], /cannot write/],
      [['optimize', join(repoRoot, 'test', 'bad-input', 'ok.insns'), '-o', join(dir, 'b.o')], /an object is written only for a clang object input/],
    ];
    if (has('llvm-mc-19')) {
      const data = join(dir, 'data.o');
      spawnSync('llvm-mc-19', ['-triple=bpfel', '-filetype=obj', '-o', data], { input: '.data\n.byte 1\n' });
      cases.push([['optimize', data, '-o', join(dir, 'c.o')], /no program section/]);
    }
    for (const [args, re] of cases) {
      const r = k2lab(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, re);
    }
    assert.deepEqual(readdirSync(dir).filter((f) => f !== 'data.o'), [], 'nothing half-written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
