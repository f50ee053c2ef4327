/**
 * Issue #15's three unsound "equal" verdicts, rebuilt as small programs (and on a real object):
 * fib_lookup with different flags or a moved params struct, redirect to a map's ifindex vs packet
 * bytes, and a packet store at offset 6 instead of 8. Each must be "not equal" or "unknown" —
 * never "equal" — while the unchanged program stays provably equal to itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assemble } from '../src/ebpf/asm.js';
import type { Insn } from '../src/ebpf/insn.js';
import { loadProgram } from '../src/ebpf/load.js';
import { MAP_TYPES, type Program } from '../src/ebpf/program.js';
import { fastChecker } from './verify-util.js';
import { sharedAvailable, sharedDir } from './paths.js';

const asm = (text: string): Insn[] => assemble(text.trim().split('\n').map((l) => l.trim()).join('\n'));
const xdp = (insns: Insn[], maps: Program['maps'] = []): Program => ({ name: 't', source: 't', insns, maps, progType: 'xdp', maxPktSize: 64 });

async function verdicts(program: Program, a: readonly Insn[], bs: readonly (readonly Insn[])[]): Promise<string[]> {
  const c = await fastChecker(program);
  try {
    assert.equal(c.check(a, a).verdict, 'equal', `the original is equal to itself (${c.last?.reason ?? ''})`);
    return bs.map((b) => { const r = c.check(b, a); return r.verdict === 'unknown' ? `unknown: ${c.last?.reason}` : r.verdict; });
  } finally {
    c.dispose();
  }
}

/** xdp_fwd's shape: params on the stack (ingress ifindex at +8), fib_lookup, then dmac from params into the packet. */
const fib = (ptr: number, flags: number): string => `
  r6 = r1
  r7 = *(u32 *)(r6 + 0)
  r2 = *(u32 *)(r6 + 4)
  r3 = r7
  r3 += 14
  if r3 > r2 goto +24
  r3 = 0
  *(u64 *)(r10 - 80) = r3
  *(u64 *)(r10 - 72) = r3
  *(u64 *)(r10 - 64) = r3
  *(u64 *)(r10 - 56) = r3
  *(u64 *)(r10 - 48) = r3
  *(u64 *)(r10 - 40) = r3
  *(u64 *)(r10 - 32) = r3
  *(u64 *)(r10 - 24) = r3
  *(u64 *)(r10 - 16) = r3
  r1 = *(u32 *)(r6 + 12)
  *(u32 *)(r10 - 56) = r1
  r2 = r10
  r2 += ${ptr}
  r1 = r6
  r3 = 64
  r4 = ${flags}
  call 69
  if r0 != 0 goto +4
  r1 = *(u32 *)(r10 - 30)
  *(u32 *)(r7 + 0) = r1
  r0 = 3
  exit
  r0 = 2
  exit`;

test('fib_lookup: other flags, or the params struct moved, is never "equal"', async () => {
  const a = asm(fib(-64, 0));
  const got = await verdicts(xdp(a), a, [asm(fib(-64, 1)), asm(fib(-72, 0))]);
  for (const v of got) assert.ok(v !== 'equal', `got ${got.join(' / ')}`);
});

test('fib_lookup: the same call with the same params is still provably equal (an uninterpreted function of its inputs)', async () => {
  const a = asm(fib(-64, 0));
  // r3 = 64 computed differently: the helper sees the same arguments and bytes.
  const b = asm(fib(-64, 0).replace('r3 = 64', 'r3 = 32\n  r3 <<= 1'));
  const prog = xdp(a);
  const c = await fastChecker(prog);
  // Same slot count is not needed for a whole-program query.
  assert.equal(c.check(b, a).verdict, 'equal', c.last?.reason);
  c.dispose();
});

const TX_PORT = { name: 'tx_port', type: MAP_TYPES.array, keySize: 4, valueSize: 4, maxEntries: 4, fd: 0, flags: 0 };
/** xdp_redirect's shape: ifindex from the tx_port array (A) or from packet bytes (B), then bpf_redirect. */
const redirect = (fromMap: boolean): string => `
  r6 = *(u32 *)(r1 + 0)
  r2 = *(u32 *)(r1 + 4)
  r3 = r6
  r3 += 14
  if r3 > r2 goto +13
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  ld_pseudo r1, 1, 0
  call 1
  if r0 == 0 goto +6
  ${fromMap ? 'r1 = *(u32 *)(r0 + 0)' : 'r1 = *(u32 *)(r6 + 0)'}
  r2 = 0
  call 23
  exit
  r0 = 2
  exit
  r0 = 1
  exit`;

test('redirect: the map\'s ifindex vs packet bytes is "not equal" (the target reaches the comparison)', async () => {
  const a = asm(redirect(true));
  const b = asm(redirect(false));
  const got = await verdicts(xdp(a, [TX_PORT]), a, [b]);
  assert.deepEqual(got, ['not-equal']);
});

/** xdp2's swap: a 16-bit store into the Ethernet header at `off`. */
const store = (off: number): string => `
  r2 = *(u32 *)(r1 + 4)
  r1 = *(u32 *)(r1 + 0)
  r3 = r1
  r3 += 14
  if r3 > r2 goto +3
  r4 = *(u16 *)(r1 + 0)
  *(u16 *)(r1 + ${off}) = r4
  r0 = 3
  exit
  r0 = 1
  exit`;

test('packet store at offset 6 instead of 8 is "not equal" (XDP packet bytes sit after the headroom)', async () => {
  const a = asm(store(8));
  assert.deepEqual(await verdicts(xdp(a), a, [asm(store(6))]), ['not-equal']);
});

const tutorial = join(sharedDir, 'real-world', 'objs', 'xdp-project+xdp-tutorial', 'packet03_redirecting.o');
test('real object: xdp-tutorial xdp_router_func (fib_lookup) with fib_lookup\'s flags or params pointer changed is not "equal"', { skip: sharedAvailable ? false : `real-world objects not found at ${tutorial}` }, async () => {
  const p = loadProgram(tutorial, { section: 'xdp_router_func' });
  const at = (pred: (x: Insn) => boolean): number => p.insns.findIndex(pred);
  const call = at((x) => x.op === 0x85 && x.imm === 69);
  const flags = call - 1, ptr = at((x) => x.op === 0x07 && x.dst === 2 && x.imm === -72);
  assert.ok(call > 0 && ptr > 0 && p.insns[flags]!.dst === 4, 'the fib_lookup call site as expected');
  const withFlags = p.insns.map((x, i) => (i === flags ? { ...x, imm: 1 } : x));
  const withPtr = p.insns.map((x, i) => (i === ptr ? { ...x, imm: -64 } : x));
  const c = await fastChecker(p);
  for (const b of [withFlags, withPtr]) assert.notEqual(c.check(b, p.insns).verdict, 'equal', c.last?.reason);
  c.dispose();
});
