/**
 * Safety rules found by comparing our checker with the Linux verifier on mutants of real programs
 * (`k2lab soundness --safety-only`, results/soundness/safety-vs-kernel.md): each mutant below was
 * accepted by our checker and rejected by the kernel. A case is data: the program type (and
 * section), a program the kernel accepts and one it rejects, with the kernel's reason. With the
 * kernel oracle, the kernel's verdicts on the same programs are checked too; then a small seeded
 * comparison over K2's suite must find no mutant we accept and the kernel rejects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assemble } from '../src/ebpf/asm.js';
import type { MapDef, Program, ProgType } from '../src/ebpf/program.js';
import { createSafetyChecker } from '../src/safety/checker.js';
import { Violation } from '../src/ebpf/violations.js';
import { resultCodes } from '../variants/errors/result-codes.js';
import { bitset } from '../variants/safety-state/bitset.js';
import { kernelUnavailableReason } from '../src/kernel/index.js';
import { kernelVerdict } from '../src/soundness/agree.js';
import { loadCorpus } from '../src/soundness/corpus.js';
import { compareSafety } from '../src/soundness/safety-kernel.js';
import { sharedAvailable, sharedDir } from './paths.js';

interface Case { name: string; progType: ProgType; section?: string; maxPktSize?: number; maps?: MapDef[]; accepted: string; rejected: string; kernel: RegExp }

const CASES: Case[] = [
  { name: 'shifts by an immediate within the operand width', progType: 'xdp', accepted: 'r0 = 1\nr0 <<= 63\nr0 = 2\nw0 <<= 31\nr0 = 2\nexit', rejected: 'r0 = 1\nr0 <<= 64\nr0 = 2\nexit', kernel: /invalid shift 64/ },
  { name: '32-bit shifts by an immediate below 32', progType: 'xdp', accepted: 'r0 = 2\nw0 >>= 31\nexit', rejected: 'r0 = 2\nw0 s>>= 32\nexit', kernel: /invalid shift 32/ },
  { name: 'tracepoint contexts: the first 8 bytes are not readable', progType: 'tracepoint', section: 'tracepoint/syscalls/sys_enter_open', maxPktSize: 64, accepted: 'r0 = *(u32 *)(r1 + 8)\nexit', rejected: 'r0 = *(u32 *)(r1 + 4)\nexit', kernel: /invalid bpf_context access off=4/ },
  { name: 'cgroup_skb egress returns [0, 3]', progType: 'cgroup_skb', section: 'cgroup_skb/egress', accepted: 'r0 = 3\nexit', rejected: 'r0 = 7\nexit', kernel: /should have been in \[0, 3\]/ },
  { name: 'cgroup_skb ingress returns [0, 1]', progType: 'cgroup_skb', section: 'cgroup_skb/ingress', accepted: 'r0 = 1\nexit', rejected: 'r0 = 2\nexit', kernel: /should have been in \[0, 1\]/ },
  { name: 'an unknown return value where the type restricts it', progType: 'cgroup_skb', section: 'cgroup_skb/ingress', accepted: 'r0 = *(u32 *)(r1 + 0)\nr0 = 0\nexit', rejected: 'r0 = *(u32 *)(r1 + 0)\nexit', kernel: /should have been in \[0, 1\]/ },
  { name: 'cgroup sock_addr recvmsg hooks return 1', progType: 'cgroup_sock_addr', section: 'cgroup/recvmsg4', accepted: 'r0 = 1\nexit', rejected: 'r0 = 0\nexit', kernel: /should have been in \[1, 1\]/ },
  { name: 'a stack pointer moved by an unbounded number', progType: 'xdp', accepted: 'r2 = r10\nr2 += -8\nr0 = 0\nexit', rejected: 'call 5\nr2 = r10\nr2 += r0\nr0 = 0\nexit', kernel: /math between fp pointer and register with unbounded min value/ },
  { name: 'xdp_md.egress_ifindex only in devmap programs', progType: 'xdp', section: 'xdp', accepted: 'r0 = *(u32 *)(r1 + 16)\nr0 = 2\nexit', rejected: 'r0 = *(u32 *)(r1 + 20)\nr0 = 2\nexit', kernel: /invalid bpf_context access off=20/ },
  {
    // pkt + 0 > data_end taken: the kernel marks that register past the end and refuses reads through it.
    name: 'no access through a packet pointer on the edge where it is past data_end', progType: 'xdp',
    accepted: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 8\nif r4 > r3 goto +4\nr5 = r2\nif r5 > r3 goto +0\nr0 = *(u8 *)(r2 + 5)\nexit\nr0 = 2\nexit',
    rejected: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 8\nif r4 > r3 goto +3\nif r2 > r3 goto +0\nr0 = *(u8 *)(r2 + 5)\nexit\nr0 = 2\nexit',
    kernel: /R2 offset is outside of the packet/,
  },
  {
    // The soundness harness's seed-3 run (xdp1, slot 36: imm 20 → 65535): pkt + n + 65535 ≤ data_end
    // teaches the kernel nothing (umax + off > MAX_PACKET_OFF), so the read after it is refused.
    name: 'no packet range from a pointer that may lie more than 0xffff past pkt', progType: 'xdp',
    accepted: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 14\nif r4 > r3 goto +9\nr5 = 14\nr0 = *(u8 *)(r2 + 12)\nif r0 != 129 goto +1\nr5 = 18\nr2 += r5\nr4 = r2\nr4 += 20\nif r4 > r3 goto +1\nr0 = *(u8 *)(r2 + 9)\nr0 = 2\nexit',
    rejected: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 14\nif r4 > r3 goto +9\nr5 = 14\nr0 = *(u8 *)(r2 + 12)\nif r0 != 129 goto +1\nr5 = 18\nr2 += r5\nr4 = r2\nr4 += 65535\nif r4 > r3 goto +1\nr0 = *(u8 *)(r2 + 9)\nr0 = 2\nexit',
    kernel: /outside of the packet|invalid access to packet/,
  },
  { name: 'tp_btf: a pointer argument takes no shifts', progType: 'tracing', section: 'tp_btf/xdp_cpumap_kthread', accepted: 'r6 = *(u64 *)(r1 + 8)\nr6 <<= 2\nr0 = 0\nexit', rejected: 'r6 = *(u64 *)(r1 + 32)\nr6 <<= 2\nr0 = 0\nexit', kernel: /pointer arithmetic with <<= operator prohibited/ },
  // Context sizes and read rules of the kernel's structs (kprobe_/pe_prog_/sock_ops_is_valid_access);
  // before, every raw context was 64 bytes and these programs' reads of pt_regs->di (112) were refused.
  { name: 'kprobe: pt_regs is 168 bytes', progType: 'kprobe', section: 'kprobe/do_unlinkat', accepted: 'r0 = *(u64 *)(r1 + 160)\nr0 = *(u32 *)(r1 + 112)\nr0 = 0\nexit', rejected: 'r0 = *(u64 *)(r1 + 168)\nr0 = 0\nexit', kernel: /invalid bpf_context access off=168/ },
  { name: 'perf_event: the registers only as u64s', progType: 'perf_event', section: 'perf_event', accepted: 'r0 = *(u64 *)(r1 + 128)\nr0 = *(u32 *)(r1 + 168)\nr0 = 0\nexit', rejected: 'r0 = *(u32 *)(r1 + 128)\nr0 = 0\nexit', kernel: /invalid bpf_context access off=128 size=4/ },
  { name: 'sock_ops: u32 fields as u32s, past remote_port too', progType: 'sock_ops', section: 'sockops', accepted: 'r0 = *(u32 *)(r1 + 68)\nr0 = *(u64 *)(r1 + 176)\nr0 = 1\nexit', rejected: 'r0 = *(u64 *)(r1 + 64)\nr0 = 1\nexit', kernel: /invalid bpf_context access off=64 size=8/ },
  // trace_printk's arguments after the size are ARG_DONTCARE: libbpf-bootstrap's minimal passes one and leaves r4, r5 unset.
  { name: 'trace_printk: format arguments may be unset', progType: 'kprobe', section: 'kprobe/do_unlinkat', accepted: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\nr2 = 8\ncall 6\nr0 = 0\nexit', rejected: 'r1 = 0\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\nr2 = 0\ncall 6\nr0 = 0\nexit', kernel: /zero-sized/ },
  {
    // A number bounded by an unsigned comparison may move a map-value pointer (bcc's execsnoop); the bound must hold.
    name: 'a map-value pointer moved by a number an unsigned comparison bounds', progType: 'xdp',
    maps: [{ name: 'values', type: 2, keySize: 4, valueSize: 64, maxEntries: 1, fd: 0, flags: 0 }],
    accepted: 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 1, 0\ncall 1\nif r0 == 0 goto +5\nr2 = *(u32 *)(r0 + 0)\nif r2 > 56 goto +2\nr0 += r2\nr0 = *(u64 *)(r0 + 0)\nr0 = 2\nexit',
    rejected: 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 1, 0\ncall 1\nif r0 == 0 goto +5\nr2 = *(u32 *)(r0 + 0)\nif r2 > 57 goto +2\nr0 += r2\nr0 = *(u64 *)(r0 + 0)\nr0 = 2\nexit',
    kernel: /max value is outside of the allowed memory range/,
  },
  // Bounded loops (src/safety/unroll.ts): the counter decides the exit in each unrolled copy; a loop that
  // never ends, or whose late iterations step out of bounds, is refused as by the kernel.
  { name: 'a loop with a known counter', progType: 'xdp', accepted: 'r0 = 0\nr1 = 0\nr0 += r1\nr1 += 1\nif r1 < 8 goto -3\nr0 = 2\nexit', rejected: 'r0 = 0\nr1 = 0\nr0 += r1\nr1 += 0\nif r1 < 8 goto -3\nr0 = 2\nexit', kernel: /infinite loop detected|old state/ },
  {
    name: 'a loop whose stores walk down the stack', progType: 'xdp',
    accepted: 'r1 = 0\nr2 = r10\nr2 += -8\nr3 = 0\n*(u64 *)(r2 + 0) = r3\nr2 += -8\nr1 += 1\nif r1 < 8 goto -5\nr0 = 2\nexit',
    rejected: 'r1 = 0\nr2 = r10\nr2 += -8\nr3 = 0\n*(u64 *)(r2 + 0) = r3\nr2 += -8\nr1 += 1\nif r1 < 65 goto -5\nr0 = 2\nexit',
    kernel: /invalid write to stack|stack/,
  },
  {
    // x & 60 lies in [0, 60] (an IPv4 header length): a packet pointer moved by it, then checked against data_end.
    name: 'a packet pointer moved by a masked byte', progType: 'xdp',
    accepted: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 1\nif r4 > r3 goto +7\nr5 = *(u8 *)(r2 + 0)\nr5 &= 60\nr2 += r5\nr4 = r2\nr4 += 4\nif r4 > r3 goto +1\nr0 = *(u32 *)(r2 + 0)\nr0 = 2\nexit',
    rejected: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 1\nif r4 > r3 goto +7\nr5 = *(u8 *)(r2 + 0)\nr5 &= 60\nr2 += r5\nr4 = r2\nr4 += 4\nif r4 > r3 goto +1\nr0 = *(u64 *)(r2 + 0)\nr0 = 2\nexit',
    kernel: /outside of the packet|invalid access to packet/,
  },
  {
    // A loaded byte shifted left stays bounded (an IPv6 extension header's length); too far a shift does not.
    name: 'a packet pointer moved by a shifted byte', progType: 'xdp',
    accepted: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 1\nif r4 > r3 goto +7\nr5 = *(u8 *)(r2 + 0)\nr5 <<= 3\nr2 += r5\nr4 = r2\nr4 += 4\nif r4 > r3 goto +1\nr0 = *(u32 *)(r2 + 0)\nr0 = 2\nexit',
    rejected: 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 1\nif r4 > r3 goto +7\nr5 = *(u8 *)(r2 + 0)\nr5 <<= 10\nr2 += r5\nr4 = r2\nr4 += 4\nif r4 > r3 goto +1\nr0 = *(u32 *)(r2 + 0)\nr0 = 2\nexit',
    kernel: /pkt pointer|out of bounds|outside of the packet|invalid access to packet/,
  },
  { name: 'tp_btf: nothing past the last argument', progType: 'tracing', section: 'tp_btf/xdp_cpumap_enqueue', accepted: 'r0 = *(u64 *)(r1 + 24)\nr0 = 0\nexit', rejected: 'r0 = *(u64 *)(r1 + 32)\nr0 = 0\nexit', kernel: /invalid bpf_context access off=32/ },
];

const program = (c: Case, text: string): Program => ({
  name: 'case', source: 'test', insns: assemble(text), maps: c.maps ?? [], progType: c.progType, license: 'GPL',
  ...(c.section ? { section: c.section } : {}), ...(c.maxPktSize ? { maxPktSize: c.maxPktSize } : {}),
});
const ours = (p: Program): Violation => createSafetyChecker(p, { state: bitset, errors: resultCodes(), allocation: 'pooled' }).check(p.insns);
const noKernel = kernelUnavailableReason();

for (const c of CASES) {
  test(`safety as the kernel checks it: ${c.name}`, () => {
    const ok = program(c, c.accepted), bad = program(c, c.rejected);
    assert.equal(ours(ok), Violation.None, 'we accept what the kernel accepts');
    assert.notEqual(ours(bad), Violation.None, 'we reject what the kernel rejects');
    if (noKernel) return;
    assert.deepEqual(kernelVerdict(ok), { accepted: true });
    const kv = kernelVerdict(bad);
    assert.ok('accepted' in kv && !kv.accepted, 'the kernel rejects it');
    assert.match((kv as { reason: string }).reason, c.kernel);
  });
}

test('seeded unsafe mutants of K2\'s suite: nothing we accept is rejected by the kernel', { skip: noKernel ?? (sharedAvailable ? false : `no ${sharedDir}`) }, () => {
  const corpus = loadCorpus([join(sharedDir, 'k2-suite', 'programs')]);
  const r = compareSafety(corpus.programs, corpus.skipped, { mutants: 300, seed: 3 });
  assert.equal(r.programs, 11);
  assert.deepEqual(r.holes, []);
  assert.ok(r.total.bothReject > 50 && r.total.bothAccept > 50, JSON.stringify(r.total));
});
