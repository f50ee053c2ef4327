/**
 * Safety checker: for every check a safe and an unsafe program, judged identically by both
 * safety-state implementations × both error strategies × both allocation modes; the 11 K2 suite
 * programs and the example objects are safe, and targeted mutations of each suite program are not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../src/ebpf/asm.js';
import type { Insn } from '../src/ebpf/insn.js';
import { loadProgram } from '../src/ebpf/load.js';
import { MAP_TYPES, type MapDef } from '../src/ebpf/program.js';
import { createSafetyChecker, type ProgramLike } from '../src/safety/checker.js';
import { SafetyViolation, Violation, type ErrorStrategy } from '../src/ebpf/violations.js';
import { exceptions } from '../variants/errors/exceptions.js';
import { resultCodes } from '../variants/errors/result-codes.js';
import { bitset } from '../variants/safety-state/bitset.js';
import { booleanArray } from '../variants/safety-state/boolean-array.js';
import { uint8Array } from '../variants/safety-state/uint8array.js';
import { SAFETY_COMBOS, verdictOf } from './safety-util.js';
import { repoRoot, sharedAvailable, sharedDir } from './paths.js';



/** The verdict of all 12 implementation combinations (asserted equal), each checked twice (state reuse). */
function verdict(prog: ProgramLike, insns: readonly Insn[]): Violation {
  const results = SAFETY_COMBOS.map(({ state, errors, allocation }) => {
    const c = createSafetyChecker(prog, { state, errors: errors(), allocation });
    const first = verdictOf(c, insns);
    assert.equal(verdictOf(c, insns), first, 'a second check of the same program agrees');
    return first;
  });
  assert.ok(results.every((r) => r === results[0]), `implementations disagree: ${results.join(', ')}`);
  return results[0]!;
}

const map = (fd: number, type: number, keySize: number, valueSize: number): MapDef =>
  ({ name: `m${fd}`, type, keySize, valueSize, maxEntries: 16, fd, flags: 0 });
const MAPS: MapDef[] = [
  map(0, MAP_TYPES.hash, 4, 8), map(1, MAP_TYPES.devmap, 4, 4), map(2, MAP_TYPES.prog_array, 4, 4),
  map(3, MAP_TYPES.perf_event_array, 4, 4), map(4, MAP_TYPES.array, 4, 16),
];
const XDP: ProgramLike = { maps: MAPS, progType: 'xdp' };
const TC: ProgramLike = { maps: MAPS, progType: 'sched_cls' };
const SOCK: ProgramLike = { maps: MAPS, progType: 'socket_filter' };
const TRACE: ProgramLike = { maps: MAPS, progType: 'tracepoint', maxPktSize: 32 };
const K2RAW: ProgramLike = { maps: MAPS, k2InputType: 1, maxPktSize: 32 };
const CGROUP: ProgramLike = { maps: MAPS, progType: 'cgroup_skb' };

const NOP: Insn = { op: 0, dst: 0, src: 0, off: 0, imm: 0 };
const asm = (text: string): Insn[] => assemble(text.trim().split('\n').map((l) => l.trim()).join('\n'));

/** One check: programs that pass and programs that fail with `code`. */
interface Case { name: string; prog: ProgramLike; safe: (string | Insn[])[]; unsafe: (string | Insn[])[]; code: Violation }

const KEY = '*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4';
/** bpf_fib_lookup(ctx, r10 - 64, 64, 0) with the 64-byte params zeroed (xdp_fwd's shape). */
const FIB = ['r6 = r1', 'r3 = 0', ...[8, 16, 24, 32, 40, 48, 56, 64].map((k) => `*(u64 *)(r10 - ${k}) = r3`), 'r1 = r6', 'r2 = r10', 'r2 += -64', 'r3 = 64', 'r4 = 0', 'call 69'].join('\n');
const PKT = 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 14';
/** A packet read of byte `off` on one edge of `if cond`. */
const pktRead = (cond: string, readOnTaken: boolean, off = 13): string => {
  const load = `r0 = *(u8 *)(r2 ${off < 0 ? '-' : '+'} ${Math.abs(off)})`;
  return readOnTaken ? `${PKT}\nif ${cond} goto L\nr0 = 2\nexit\nL:\n${load}\nexit` : `${PKT}\nif ${cond} goto L\n${load}\nexit\nL:\nr0 = 2\nexit`;
};
/** pkt + s (s ∈ {14, 18} by path) checked as pkt + s + 4 <= data_end, then 2 bytes read at pkt + s + off (xdp1's shape). */
const symbolic = (off: number): string => `
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)
  r4 = r2
  r4 += 18
  if r4 > r3 goto out
  r5 = *(u8 *)(r2 + 0)
  r6 = 14
  if r5 == 0 goto join
  r6 = 18
  join:
  r7 = r6
  r7 += 4
  r8 = r2
  r8 += r7
  if r8 > r3 goto out
  r8 = r2
  r8 += r6
  r0 = *(u16 *)(r8 + ${off})
  exit
  out:
  r0 = 1
  exit`;
const lookup = (body: string): string => `${KEY}\nld_pseudo r1, 1, 0\ncall 1\n${body}`;
/** An 8-byte value for map fd 0 at r10 - 16 in r3. */
const VALUE = '*(u64 *)(r10 - 16) = 0\nr3 = r10\nr3 += -16';

const CASES: Case[] = [
  { name: 'known instructions only (NOP and ja +0 are no-ops)', prog: XDP, code: Violation.InvalidInstruction,
    safe: ['r0 = 0\nexit', [NOP, ...asm('r0 = 1\ngoto +0'), NOP, ...asm('exit')]],
    unsafe: [[{ op: 0xff, dst: 0, src: 0, off: 0, imm: 0 }, ...asm('exit')], [{ op: 0x18, dst: 0, src: 7, off: 0, imm: 0 }, NOP, ...asm('exit')],
      [...asm('r0 = 1 ll').slice(0, 1), ...asm('r0 = 0\nexit')], [{ op: 0x85, dst: 0, src: 1, off: 0, imm: 0 }, ...asm('r0 = 0\nexit')]] },
  { name: 'registers r0–r10 only', prog: XDP, code: Violation.InvalidInstruction,
    safe: ['r0 = 0\nexit'], unsafe: [[{ op: 0xb7, dst: 11, src: 0, off: 0, imm: 0 }, ...asm('r0 = 0\nexit')], [{ op: 0xbf, dst: 0, src: 12, off: 0, imm: 0 }, ...asm('exit')]] },
  { name: 'r10 is read-only', prog: XDP, code: Violation.ReadOnlyR10,
    safe: ['r1 = r10\nr0 = 0\nexit'], unsafe: [[{ op: 0xb7, dst: 10, src: 0, off: 0, imm: 0 }, ...asm('r0 = 0\nexit')], [{ op: 0x07, dst: 10, src: 0, off: 0, imm: -8 }, ...asm('r0 = 0\nexit')]] },
  { name: 'jump targets inside the program', prog: XDP, code: Violation.JumpTarget,
    safe: ['r0 = 0\nif r0 == 0 goto +1\nr0 = 1\nexit'], unsafe: ['r0 = 0\nif r0 == 0 goto +3\nr0 = 1\nexit', 'r0 = 0\ngoto +2\nexit'] },
  { name: 'no jump into the second half of a 64-bit load', prog: XDP, code: Violation.JumpTarget,
    safe: ['r0 = 0\nif r1 == 0 goto +2\nr0 = 5 ll\nexit'], unsafe: ['goto +1\nr0 = 5 ll\nr0 = 0\nexit'] },
  // Loops are checked unrolled (src/safety/unroll.ts, test/safety-loops.test.ts): one we cannot bound is refused.
  { name: 'no loop without a proven bound', prog: XDP, code: Violation.BackEdge,
    safe: ['r0 = 0\nif r0 == 0 goto +0\nexit', 'r0 = 0\nr0 += 1\nif r0 != 5 goto -2\nexit'], unsafe: ['r0 = 0\nif r0 == 0 goto -2\nexit', 'r0 = 0\nr0 += 1\nif r0 != 0 goto -2\nexit'] },
  { name: 'every path reaches exit', prog: XDP, code: Violation.NoExit,
    safe: ['r0 = 0\nif r1 == 0 goto +1\nexit\nr0 = 1\nexit'], unsafe: ['r0 = 0', 'r0 = 0\nif r1 == 0 goto +1\nexit\nr0 = 1', 'r6 = r1\nr1 = r6\nld_pseudo r2, 1, 2\nr3 = 0\ncall 12'] },
  { name: 'registers are written before they are read (on every path)', prog: XDP, code: Violation.UnreadableRegister,
    safe: ['r2 = 1\nr0 = r2\nexit', 'r2 = 1\nif r1 == 0 goto +1\nr2 = 2\nr0 = r2\nexit'],
    unsafe: ['r0 = r2\nexit', 'exit', 'if r1 == 0 goto +1\nr2 = 2\nr0 = r2\nexit', 'r0 = 0\nr0 += r3\nexit', 'r0 = 0\nif r5 > 3 goto +0\nexit'] },
  { name: 'stack bytes are written before they are read (on every path)', prog: XDP, code: Violation.UnreadableStack,
    safe: ['*(u32 *)(r10 - 8) = 7\nr0 = *(u32 *)(r10 - 8)\nexit', 'r1 = 5\n*(u16 *)(r10 - 8) = r1\n*(u16 *)(r10 - 6) = r1\nr0 = *(u32 *)(r10 - 8)\nexit'],
    unsafe: ['r0 = *(u32 *)(r10 - 4)\nexit', '*(u16 *)(r10 - 8) = 1\nr0 = *(u32 *)(r10 - 8)\nexit',
      'if r1 == 0 goto +1\n*(u64 *)(r10 - 8) = 1\nr0 = *(u64 *)(r10 - 8)\nexit'] },
  { name: 'stack accesses stay inside [r10-512, r10)', prog: XDP, code: Violation.StackBounds,
    safe: ['*(u64 *)(r10 - 512) = 0\nr0 = 0\nexit'], unsafe: ['*(u64 *)(r10 - 520) = 0\nr0 = 0\nexit', '*(u32 *)(r10 + 0) = 0\nr0 = 0\nexit', 'r2 = r10\nr2 += -2\n*(u32 *)(r2 + 0) = 0\nr0 = 0\nexit'] },
  { name: 'stack accesses are aligned ((r10 - addr) mod size = 0)', prog: XDP, code: Violation.StackAlignment,
    safe: ['*(u16 *)(r10 - 6) = 0\nr0 = 0\nexit'], unsafe: ['*(u32 *)(r10 - 6) = 0\nr0 = 0\nexit', 'r2 = r10\nr2 += -3\n*(u16 *)(r2 + 0) = 0\nr0 = 0\nexit'] },
  { name: 'pointer arithmetic: only ± on movable pointers, never two pointers added, no 32-bit ops', prog: XDP, code: Violation.PointerArithmetic,
    safe: ['r2 = r10\nr2 += -8\n*(u64 *)(r2 + 0) = 0\nr0 = 0\nexit', 'r2 = r10\nr3 = r10\nr3 += -8\nr2 -= r3\nr0 = r2\nexit',
      'r2 = -8\nr2 += r10\n*(u64 *)(r2 + 0) = 0\nr0 = 0\nexit', 'r2 = r10\nr3 = 8\nr2 -= r3\n*(u64 *)(r2 + 0) = 0\nr0 = 0\nexit'],
    unsafe: ['r2 = r10\nr2 *= 2\nr0 = 0\nexit', 'r2 = r10\nr3 = r10\nr2 += r3\nr0 = 0\nexit', 'w2 = w10\nr0 = 0\nexit', 'r2 = r10\nw2 += 1\nr0 = 0\nexit',
      'r0 = 0\nr0 -= r10\nexit', 'r2 = *(u32 *)(r1 + 4)\nr2 += 1\nr0 = 0\nexit', 'r2 = r10\nr2 = -r2\nr0 = 0\nexit', 'ld_pseudo r2, 1, 0\nr2 += 8\nr0 = 0\nexit'] },
  { name: 'memory only through pointers of a known kind', prog: XDP, code: Violation.BadMemoryBase,
    safe: ['r2 = r10\nif r1 == 0 goto +1\nr2 = r10\n*(u8 *)(r2 - 1) = 1\nr0 = 0\nexit'],
    unsafe: ['r2 = 100\nr0 = *(u8 *)(r2 + 0)\nexit', 'r2 = r10\nif r1 == 0 goto +1\nr2 = 0\n*(u8 *)(r2 - 1) = 1\nr0 = 0\nexit',
      'r2 = *(u32 *)(r1 + 4)\nr0 = *(u8 *)(r2 + 0)\nexit'] },
  { name: 'XDP context: aligned 4-byte reads of xdp_md only', prog: XDP, code: Violation.ContextAccess,
    safe: ['r0 = *(u32 *)(r1 + 12)\nexit', 'r0 = *(u32 *)(r1 + 16)\nexit'],
    unsafe: ['r0 = *(u16 *)(r1 + 12)\nexit', 'r0 = *(u32 *)(r1 + 24)\nexit', 'r0 = *(u32 *)(r1 + 2)\nexit', 'r0 = 0\n*(u32 *)(r1 + 12) = r0\nexit',
      'r1 += 4\nr0 = *(u32 *)(r1 + 0)\nexit', 'r0 = *(u64 *)(r1 + 0)\nexit'] },
  { name: '__sk_buff: field sizes, cb[] writable, data only for direct-access types', prog: SOCK, code: Violation.ContextAccess,
    safe: ['r0 = *(u32 *)(r1 + 0)\nexit', 'r0 = *(u8 *)(r1 + 16)\nexit', 'r2 = 1\n*(u32 *)(r1 + 48) = r2\n*(u64 *)(r1 + 56) = r2\nr0 = *(u32 *)(r1 + 48)\nexit'],
    unsafe: ['r2 = 1\n*(u32 *)(r1 + 0) = r2\nr0 = 0\nexit', 'r0 = *(u32 *)(r1 + 76)\nexit', 'r0 = *(u64 *)(r1 + 0)\nexit', 'r0 = *(u32 *)(r1 + 192)\nexit',
      '*(u32 *)(r1 + 48) = 1\nr0 = 0\nexit', 'r2 = 1\n*(u64 *)(r1 + 64) = r2\nr0 = 0\nexit'] },
  { name: 'tc: data/data_end give packet pointers; mark writable', prog: TC, code: Violation.ContextAccess,
    safe: ['r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr4 = r2\nr4 += 1\nif r4 > r3 goto +2\nr0 = *(u8 *)(r2 + 0)\nexit\nr0 = 0\nexit', 'r2 = 1\n*(u32 *)(r1 + 8) = r2\nr0 = 0\nexit'],
    unsafe: ['r0 = *(u16 *)(r1 + 76)\nexit', 'r2 = 1\n*(u32 *)(r1 + 16) = r2\nr0 = 0\nexit'] },
  { name: 'raw contexts: reads within max_pkt_sz; tracepoints read-only and aligned', prog: TRACE, code: Violation.ContextAccess,
    safe: ['r0 = *(u32 *)(r1 + 28)\nexit', 'r0 = *(u64 *)(r1 + 24)\nexit'],
    unsafe: ['r0 = *(u32 *)(r1 + 32)\nexit', 'r0 = *(u32 *)(r1 + 2)\nexit', 'r0 = 0\n*(u32 *)(r1 + 0) = r0\nexit'] },
  { name: "K2's type-1 input: writable, unaligned, within max_pkt_sz", prog: K2RAW, code: Violation.ContextAccess,
    safe: ['r0 = *(u32 *)(r1 + 2)\n*(u32 *)(r1 + 28) = r0\nexit'], unsafe: ['r0 = *(u32 *)(r1 + 29)\nexit'] },
  { name: 'packet bounds proven by a data_end comparison (every operator and operand order)', prog: XDP, code: Violation.PacketBounds,
    safe: [pktRead('r4 > r3', false), pktRead('r3 < r4', false), pktRead('r4 >= r3', false), pktRead('r3 <= r4', false),
      pktRead('r4 <= r3', true), pktRead('r3 >= r4', true), pktRead('r4 < r3', true), pktRead('r3 > r4', true)],
    unsafe: [pktRead('r4 > r3', true), pktRead('r3 < r4', true), pktRead('r4 >= r3', true), pktRead('r3 <= r4', true),
      pktRead('r4 <= r3', false), pktRead('r3 >= r4', false), pktRead('r4 < r3', false), pktRead('r3 > r4', false),
      pktRead('r4 > r3', false, 14), `${PKT}\nr0 = *(u8 *)(r2 + 0)\nexit`, pktRead('r4 > r3', false, -1)] },
  { name: 'packet bounds through a path-dependent offset (xdp1)', prog: XDP, code: Violation.PacketBounds,
    safe: [symbolic(2)], unsafe: [symbolic(3)] },
  { name: 'packet writes only where the program type allows them', prog: CGROUP, code: Violation.BadMemoryBase,
    safe: ['r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr4 = r2\nr4 += 1\nif r4 > r3 goto +3\nr0 = *(u8 *)(r2 + 0)\nr0 = 1\nexit\nr0 = 0\nexit'],
    unsafe: ['r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr4 = r2\nr4 += 1\nif r4 > r3 goto +2\n*(u8 *)(r2 + 0) = 1\nr0 = 0\nexit\nr0 = 0\nexit'] },
  { name: 'map values: a null check first (also through a copy), then a pointer', prog: XDP, code: Violation.BadMemoryBase,
    safe: [lookup('if r0 == 0 goto +2\nr0 = *(u64 *)(r0 + 0)\nexit\nexit'), lookup('if r0 != 0 goto +1\nexit\nr0 = *(u64 *)(r0 + 0)\nexit'),
      lookup('r6 = r0\nif r6 == 0 goto +2\nr0 = *(u64 *)(r0 + 0)\nexit\nexit')],
    unsafe: [lookup('r0 = *(u64 *)(r0 + 0)\nexit'), lookup('if r0 != 0 goto +2\nr0 = *(u64 *)(r0 + 0)\nexit\nexit'),
      lookup('if r0 == 0 goto +2\nr0 = 0\nexit\nr0 = *(u64 *)(r0 + 0)\nexit')] },
  { name: 'map values: accesses within value_size', prog: XDP, code: Violation.MapValueBounds,
    safe: [lookup('if r0 == 0 goto +2\nr0 = *(u32 *)(r0 + 4)\nexit\nexit')],
    unsafe: [lookup('if r0 == 0 goto +2\nr0 = *(u64 *)(r0 + 4)\nexit\nexit'), lookup('if r0 == 0 goto +3\nr0 += -1\nr0 = *(u8 *)(r0 + 0)\nexit\nexit')] },
  { name: 'pointers never leak into memory, helpers or the return value', prog: XDP, code: Violation.PointerLeak,
    safe: [lookup('if r0 == 0 goto +3\nr1 = 1\n*(u64 *)(r0 + 0) = r1\nr0 = 0\nexit')],
    unsafe: [lookup('if r0 == 0 goto +1\nexit\nexit'), lookup('if r0 == 0 goto +3\n*(u64 *)(r0 + 0) = r10\nr0 = 0\nexit\nexit'), 'r0 = r1\nexit',
      '*(u64 *)(r10 - 8) = r1\nr0 = 0\nexit'] },
  { name: 'helpers: known ids only', prog: XDP, code: Violation.UnknownHelper,
    safe: ['call 7\nexit', 'call 5\ncall 8\ncall 14\nexit'], unsafe: ['call 9999\nexit', 'call 211\nexit'] },
  { name: 'unreachable code is rejected, as the kernel does ("unreachable insn")', prog: XDP, code: Violation.Unreachable,
    // An unreachable `goto +0` (the search's NOP, left out when the program is written) is fine.
    safe: ['r0 = 0\nif r1 == 0 goto +1\nr0 = 1\nexit', 'r0 = 0\ngoto +1\ngoto +0\nexit'], unsafe: ['r0 = 0\ngoto +1\nr0 = 1\nexit', 'r0 = 0\nexit\nr0 = 1\nexit'] },
  { name: 'helpers: r1–r5 are unreadable after every call (an atomic through r4 after fib_lookup)', prog: XDP, code: Violation.UnreadableRegister,
    safe: [`${FIB}\nr0 = 0\nexit`],
    unsafe: [`${FIB}\nr1 = 1\nlock *(u64 *)(r4 + 0) += r1\nr0 = 0\nexit`, `${FIB}\nr0 = r1\nexit`, 'call 5\nr0 = r5\nexit'] },
  { name: 'helpers: memory arguments are initialised memory of the declared size; written memory may be uninitialised', prog: XDP, code: Violation.UnreadableStack,
    safe: ['r1 = r10\nr1 += -16\nr2 = 16\ncall 16\nr0 = *(u64 *)(r10 - 8)\nexit', `${FIB}\nr0 = *(u32 *)(r10 - 64)\nexit`],
    unsafe: [FIB.replace('*(u64 *)(r10 - 8) = r3\n', '') + '\nr0 = 0\nexit', 'r1 = r10\nr1 += -16\nr2 = 16\nr3 = 0\nr4 = 0\nr5 = 0\ncall 6\nr0 = 0\nexit'] },
  { name: 'helpers: sizes and context arguments as the prototype says', prog: XDP, code: Violation.HelperArgument,
    safe: [`${FIB}\nr0 = 0\nexit`],
    unsafe: [FIB.replace('r1 = r6', 'r1 = r10') + '\nr0 = 0\nexit', FIB.replace('r3 = 64', 'r3 = *(u32 *)(r6 + 12)') + '\nr0 = 0\nexit', 'r1 = r10\nr1 += -16\nr2 = 0\ncall 16\nr0 = 0\nexit'] },
  { name: 'helpers: memory arguments stay within the stack', prog: XDP, code: Violation.StackBounds,
    safe: [], unsafe: [FIB.replace('r2 += -64', 'r2 += -56') + '\nr0 = 0\nexit'] },
  { name: 'helpers: argument kinds and map types', prog: XDP, code: Violation.HelperArgument,
    safe: [lookup('r0 = 0\nexit'), `${KEY}\n${VALUE}\nld_pseudo r1, 1, 0\nr4 = 0\ncall 2\nexit`, `${KEY}\nld_pseudo r1, 1, 0\ncall 3\nexit`,
      'r6 = r1\nld_pseudo r2, 1, 2\nr3 = 0\ncall 12\nr0 = 0\nexit', 'ld_pseudo r1, 1, 1\nr2 = 0\nr3 = 0\ncall 51\nexit', 'r1 = 1\nr2 = 0\ncall 23\nexit',
      'r2 = -4\ncall 44\nexit', `${KEY}\nr4 = r2\nld_pseudo r2, 1, 3\nr3 = 0\nr5 = 4\ncall 25\nexit`],
    unsafe: [`${KEY}\nr1 = 0\ncall 1\nr0 = 0\nexit`, `${KEY}\nld_pseudo r1, 1, 2\ncall 1\nr0 = 0\nexit`, `${KEY}\n${VALUE}\nld_pseudo r1, 1, 0\nr4 = r10\ncall 2\nexit`,
      'r1 = 0\nld_pseudo r2, 1, 2\nr3 = 0\ncall 12\nr0 = 0\nexit', 'ld_pseudo r2, 1, 0\nr3 = 0\ncall 12\nr0 = 0\nexit', 'ld_pseudo r1, 1, 0\nr2 = 0\nr3 = 0\ncall 51\nexit',
      'r1 = r10\nr2 = 0\ncall 23\nexit', `${KEY}\nr4 = r2\nld_pseudo r2, 1, 3\nr3 = 0\nr5 = *(u32 *)(r10 - 4)\ncall 25\nexit`] },
  { name: 'helpers: buffers initialised and in bounds', prog: XDP, code: Violation.UnreadableStack,
    safe: [lookup('r0 = 0\nexit')], unsafe: ['r2 = r10\nr2 += -4\nld_pseudo r1, 1, 0\ncall 1\nr0 = 0\nexit', `${KEY}\nr3 = r10\nr3 += -16\nld_pseudo r1, 1, 0\nr4 = 0\ncall 2\nexit`] },
  { name: 'helpers: r1–r5 are clobbered, r0 set; a tail call that returns leaves r0 unset', prog: XDP, code: Violation.UnreadableRegister,
    safe: ['r6 = 1\ncall 7\nr0 += r6\nexit'], unsafe: ['r2 = 1\ncall 7\nr0 = r2\nexit', 'r6 = r1\nr1 = r6\nld_pseudo r2, 1, 2\nr3 = 0\ncall 12\nexit',
      `${PKT}\nif r4 > r3 goto out\nr6 = r2\nr2 = 0\ncall 44\nr0 = *(u8 *)(r6 + 0)\nexit\nout:\nr0 = 0\nexit`] },
  { name: 'xdp_adjust_head only in XDP programs', prog: TC, code: Violation.HelperArgument,
    safe: ['r0 = 0\nexit'], unsafe: ['r2 = 0\ncall 44\nexit'] },
  { name: 'division and modulo by an immediate zero (by a register is defined)', prog: XDP, code: Violation.DivisionByZero,
    safe: ['r0 = 7\nr2 = 0\nr0 /= r2\nr0 %= r2\nexit', 'r0 = 7\nr0 /= 3\nexit'],
    unsafe: ['r0 = 7\nr0 /= 0\nexit', 'r0 = 7\nr0 %= 0\nexit', 'w0 = 7\nw0 /= 0\nexit'] },
  { name: 'LD_ABS/LD_IND: r6 must be the context; r1–r5 clobbered', prog: SOCK, code: Violation.ContextAccess,
    safe: ['r6 = r1\nr0 = *(u16 *)skb[12]\nexit', 'r6 = r1\nr2 = 3\nr0 = *(u8 *)skb[r2 + 0]\nexit'],
    unsafe: ['r6 = 0\nr0 = *(u16 *)skb[12]\nexit', 'r6 = r10\nr0 = *(u16 *)skb[12]\nexit', 'r6 = r1\nr6 += 4\nr0 = *(u16 *)skb[12]\nexit'] },
  { name: 'LD_ABS/LD_IND clobber r1–r5', prog: SOCK, code: Violation.UnreadableRegister,
    safe: ['r6 = r1\nr7 = 1\nr0 = *(u16 *)skb[12]\nr0 += r7\nexit'], unsafe: ['r6 = r1\nr2 = 1\nr0 = *(u16 *)skb[12]\nr0 = r2\nexit', 'r0 = *(u16 *)skb[12]\nexit'] },
  { name: 'LD_ABS/LD_IND only with a socket-buffer or raw context', prog: XDP, code: Violation.InvalidInstruction,
    safe: ['r0 = 0\nexit'], unsafe: ['r6 = r1\nr0 = *(u16 *)skb[12]\nexit'] },
  { name: 'atomics: stack (initialised) or map values only', prog: XDP, code: Violation.UnreadableStack,
    safe: ['*(u64 *)(r10 - 8) = 0\nr1 = 1\nlock *(u64 *)(r10 - 8) += r1\nr0 = *(u64 *)(r10 - 8)\nexit', lookup('if r0 == 0 goto +3\nr1 = 1\nlock *(u64 *)(r0 + 0) += r1\nr0 = 0\nexit')],
    unsafe: ['r1 = 1\nlock *(u64 *)(r10 - 8) += r1\nr0 = 0\nexit'] },
  { name: 'map value from a 64-bit map-value load (global data)', prog: XDP, code: Violation.MapValueBounds,
    safe: [[{ op: 0x18, dst: 2, src: 2, off: 0, imm: 4 }, { op: 0, dst: 0, src: 0, off: 0, imm: 8 }, ...asm('r0 = *(u64 *)(r2 + 0)\nexit')]],
    unsafe: [[{ op: 0x18, dst: 2, src: 2, off: 0, imm: 4 }, { op: 0, dst: 0, src: 0, off: 0, imm: 12 }, ...asm('r0 = *(u64 *)(r2 + 0)\nexit')]] },
];

const insnsOf = (p: string | Insn[]): Insn[] => (typeof p === 'string' ? asm(p) : p);

for (const c of CASES) {
  test(`safety: ${c.name}`, () => {
    c.safe.forEach((p, i) => assert.equal(verdict(c.prog, insnsOf(p)), Violation.None, `safe program ${i} judged unsafe`));
    c.unsafe.forEach((p, i) => assert.equal(verdict(c.prog, insnsOf(p)), c.code, `unsafe program ${i}`));
  });
}

test('safety: a pooled checker reused across many candidates agrees with fresh checkers', () => {
  const xdpCases = CASES.filter((c) => c.prog === XDP).flatMap((c) => [...c.safe, ...c.unsafe].map(insnsOf));
  for (const { state, errors, allocation } of SAFETY_COMBOS) {
    const c = createSafetyChecker(XDP, { state, errors: errors(), allocation });
    for (const insns of [...xdpCases, ...xdpCases.slice().reverse()]) assert.equal(verdictOf(c, insns), verdict(XDP, insns));
  }
});

test('safety: check(insns, n) looks at the first n slots only', () => {
  const insns = [...asm('r0 = 0\nexit'), { op: 0xff, dst: 0, src: 0, off: 0, imm: 0 }];
  for (const { state, errors, allocation } of SAFETY_COMBOS) {
    const c = createSafetyChecker(XDP, { state, errors: errors(), allocation });
    assert.equal(verdictOf(c, insns, 2), Violation.None);
    assert.equal(verdictOf(c, insns), Violation.InvalidInstruction);
    assert.equal(verdictOf(c, insns, 1), Violation.NoExit);
  }
});

test('safety: error strategies — exceptions throw with the slot, result codes return and record it', () => {
  const insns = asm('r0 = 0\nr0 = r5\nexit');
  const thrower: ErrorStrategy = exceptions();
  assert.throws(() => createSafetyChecker(XDP, { state: uint8Array, errors: thrower, allocation: 'pooled' }).check(insns),
    (e: unknown) => e instanceof SafetyViolation && e.violation === Violation.UnreadableRegister && e.pc === 1 && /r5/.test(e.message));
  const codes = resultCodes();
  assert.equal(createSafetyChecker(XDP, { state: booleanArray, errors: codes, allocation: 'fresh' }).check(insns), Violation.UnreadableRegister);
  assert.match(codes.lastDetail(), /^instruction 1: .*r5/);
});

test('safety: the three safety-state implementations agree on random operation sequences', () => {
  // Ranges straddling the 32-bit words of the bitset are the interesting ones.
  let x = 12345;
  const rnd = (n: number): number => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return (x >>> 8) % n; };
  const impls = [booleanArray, uint8Array, bitset];
  const a = impls.map((i) => i.create()), b = impls.map((i) => i.create());
  for (let step = 0; step < 20000; step++) {
    const op = rnd(7), r = rnd(11), size = [1, 2, 4, 8, 16, 64][rnd(6)]!, off = rnd(512 - size + 1), flag = rnd(3) !== 0;
    const answers = impls.map((_, k) => {
      const s = a[k]!, t = b[k]!;
      switch (op) {
        case 0: s.setRegReadable(r, flag); return s.regReadable(r);
        case 1: s.setStackReadable(off, size, flag); return s.stackReadable(off, size);
        case 2: t.setStackReadable(off, size, flag); t.setRegReadable(r, !flag); return t.stackReadable(off, size);
        case 3: s.meet(t); return s.stackReadable(off, size);
        case 4: if (step % 50 === 0) t.copyFrom(s); return t.regReadable(r);
        case 5: if (step % 997 === 0) s.clear(); return s.stackReadable(off, 1);
        default: return s.stackReadable(off, size) && s.regReadable(r);
      }
    });
    assert.ok(answers.every((v) => v === answers[0]), `step ${step} op ${op}: ${answers.join(' ')}`);
  }
  for (let r = 0; r < 11; r++) assert.ok(new Set(a.map((s) => s.regReadable(r))).size === 1);
  for (let i = 0; i < 512; i++) assert.ok(new Set(a.map((s) => s.stackReadable(i, 1))).size === 1, `stack byte ${i}`);
});

// ---- Real programs ----

const suite = join(sharedDir, 'k2-suite', 'programs');
const noSuite = sharedAvailable ? false : `K2 suite not found at ${suite} (third-party data lives outside the repo)`;
const suiteNames = sharedAvailable ? readdirSync(suite).filter((f) => f.endsWith('.insns')).map((f) => f.slice(0, -6)).sort() : [];

test('safety: the example objects are safe', () => {
  for (const f of ['xdp_counter.o', 'socket_filter.o']) {
    const p = loadProgram(join(repoRoot, 'test', 'elf', f));
    assert.equal(verdict(p, p.insns), Violation.None, f);
  }
});

test('safety: all 11 K2 suite programs are safe (the Linux verifier accepted them)', { skip: noSuite }, () => {
  assert.equal(suiteNames.length, 11);
  for (const name of suiteNames) {
    const p = loadProgram(join(suite, name));
    assert.equal(verdict(p, p.insns), Violation.None, name);
  }
});

const isJcondImm0 = (i: Insn): boolean => (i.op === 0x15 || i.op === 0x55) && i.imm === 0;
const isStackStore = (i: Insn): boolean => ((i.op & 7) === 2 || (i.op & 7) === 3) && i.dst === 10;
const isPktCompare = (i: Insn): boolean => [0x2d, 0x3d, 0xad, 0xbd].includes(i.op);

/** Targeted mutations: each returns the mutated program, or undefined where it does not apply. */
const MUTATIONS: { name: string; code: Violation; anyViolation?: true; only?: string[]; mutate: (p: Insn[]) => Insn[] | undefined }[] = [
  { name: 'read an uninitialised register', code: Violation.UnreadableRegister, mutate: (p) => [{ op: 0xbf, dst: 0, src: 8, off: 0, imm: 0 }, ...p.slice(1)] },
  { name: 'delete the final exit', code: Violation.NoExit, mutate: (p) => [...p.slice(0, -1), NOP] },
  // A jump to itself loops while its condition holds and may leave its old target unreachable (the kernel's
  // check_cfg says so first); which rule refuses it first depends on the program.
  { name: 'turn the first conditional jump backwards', code: Violation.BackEdge, anyViolation: true, mutate: (p) => {
    const i = p.findIndex((x) => (x.op & 7) === 5 && ![0x00, 0x80, 0x90].includes(x.op & 0xf0));
    return i < 0 ? undefined : p.map((x, j) => (j === i ? { ...x, off: -1 } : x));
  } },
  { name: 'remove the null check after the first map lookup', code: Violation.BadMemoryBase, mutate: (p) => {
    const call = p.findIndex((x) => x.op === 0x85 && x.imm === 1);
    const i = call < 0 ? -1 : p.findIndex((x, j) => j > call && isJcondImm0(x));
    return i < 0 ? undefined : p.map((x, j) => (j === i ? NOP : x));
  } },
  { name: 'remove every stack store (keys and values uninitialised)', code: Violation.UnreadableStack, mutate: (p) =>
    p.some(isStackStore) ? p.map((x) => (isStackStore(x) ? NOP : x)) : undefined },
  { name: 'remove the packet bounds checks', code: Violation.PacketBounds, only: ['xdp1_kern-xdp1', 'xdp_fw'], mutate: (p) =>
    p.map((x) => (isPktCompare(x) ? NOP : x)) },
];

test('safety: targeted mutations make every K2 suite program unsafe', { skip: noSuite }, () => {
  for (const name of suiteNames) {
    const p = loadProgram(join(suite, name));
    let applied = 0;
    for (const m of MUTATIONS) {
      if (m.only && !m.only.includes(name)) continue;
      const mutated = m.mutate(p.insns);
      if (!mutated) continue;
      applied++;
      const v = verdict(p, mutated);
      assert.ok(v === m.code || (m.anyViolation && v !== Violation.None), `${name}: ${m.name}: violation ${v}`);
    }
    assert.ok(applied >= 3, `${name}: only ${applied} mutations applied`);
  }
});
