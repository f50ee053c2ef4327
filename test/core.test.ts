/**
 * CO-RE relocations and section attach rules. Resolving an object's relocations against its own BTF
 * (`--btf` = the object) must give back exactly the compiled instructions (libbpf's identity case);
 * against the running kernel's BTF the corpus test checks the kernel accepts the result.
 * The attach table follows libbpf's section definitions.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import test from 'node:test';
import { dumpObject, objdumpAvailable } from '../src/corpus/objdump.js';
import { loadElfProgram, listElfPrograms } from '../src/ebpf/elf.js';
import { ringbufSize } from '../src/ebpf/elf-maps.js';
import { decodeProgram } from '../src/ebpf/insn.js';
import { attachFromSection } from '../src/ebpf/program.js';
import { sharedAvailable, sharedDir } from './paths.js';

const objs = resolve(sharedDir, 'real-world', 'objs');
const skip: string | false = !sharedAvailable ? `real-world corpus not found at ${objs}` : !objdumpAvailable() ? 'llvm-objdump-19 not installed' : false;
// Objects whose own BTF holds a flavoured twin of a type (task_struct and task_struct___x) make their
// own BTF an ambiguous target, as libbpf would say too; these have none.
const CORE_OBJECTS = ['iovisor+bcc/execsnoop.o', 'iovisor+bcc/tcpstates.o', 'iovisor+bcc/syscount.o', 'iovisor+bcc/tcprtt.o',
  'iovisor+bcc/mountsnoop.o', 'iovisor+bcc/filetop.o', 'libbpf+libbpf-bootstrap/bootstrap.o', 'libbpf+libbpf-bootstrap/ksyscall.o'];

test('CO-RE against the object\'s own BTF is the identity', { skip }, () => {
  let relocated = 0;
  for (const o of CORE_OBJECTS) {
    const path = `${objs}/${o}`;
    const bytes = new Uint8Array(readFileSync(path));
    const dump = dumpObject(path);
    for (const p of listElfPrograms(bytes)) {
      const prog = loadElfProgram(bytes, path, p.name, { btf: path });
      assert.equal(prog.poisoned, undefined, `${o} ${p.name}: ${JSON.stringify(prog.poisoned)}`);
      for (const f of prog.functions ?? []) {
        const raw = decodeProgram(dump.get(f.name)!.bytes);
        raw.forEach((want, k) => {
          const got = prog.insns[f.insn + k]!;
          const linked = (want.op === 0x18 && (got.src !== 0 || want.src !== 0)) || (k > 0 && raw[k - 1]!.op === 0x18 && prog.insns[f.insn + k - 1]!.src !== 0) || (want.op === 0x85 && want.src !== 0);
          if (!linked) assert.deepEqual(got, want, `${o} ${p.name} ${f.name}+${k}`);
        });
        relocated += raw.length;
      }
    }
  }
  assert.ok(relocated > 3000);
});

test('against the running kernel: flavoured types resolve or are poisoned, never silently wrong', { skip }, () => {
  const path = `${objs}/iovisor+bcc/runqlat.o`;
  const bytes = new Uint8Array(readFileSync(path));
  const prog = loadElfProgram(bytes, path, 'raw_tp/sched_switch');
  // task_struct___o::state (renamed __state in 5.14): libbpf poisons it; the program takes the other branch.
  for (const p of prog.poisoned ?? []) {
    assert.match(p.relocation, /^CO-RE byte_off of 'task_struct___o' access 0:\d+$/);
    assert.deepEqual(prog.insns[p.insn], { op: 0x85, dst: 0, src: 0, off: 0, imm: 0xbad2310 });
  }
});

test('section attach rules (libbpf\'s table)', () => {
  assert.deepEqual(attachFromSection('tp_btf/sched_wakeup'), { progType: 'tracing', expectedAttachType: 'trace_raw_tp', btfTarget: { kind: 'typedef', name: 'btf_trace_sched_wakeup' } });
  assert.deepEqual(attachFromSection('fexit/do_unlinkat'), { progType: 'tracing', expectedAttachType: 'trace_fexit', btfTarget: { kind: 'func', name: 'do_unlinkat' } });
  assert.deepEqual(attachFromSection('lsm/bpf'), { progType: 'lsm', expectedAttachType: 'lsm_mac', btfTarget: { kind: 'func', name: 'bpf_lsm_bpf' } });
  assert.deepEqual(attachFromSection('iter/task'), { progType: 'tracing', expectedAttachType: 'trace_iter', btfTarget: { kind: 'func', name: 'bpf_iter_task' } });
  assert.deepEqual(attachFromSection('cgroup_skb/egress'), { progType: 'cgroup_skb', expectedAttachType: 'cgroup_inet_egress' });
  assert.deepEqual(attachFromSection('cgroup/connect4'), { progType: 'cgroup_sock_addr', expectedAttachType: 'cgroup_inet4_connect' });
  assert.deepEqual(attachFromSection('xdp/devmap'), { progType: 'xdp', expectedAttachType: 'xdp_devmap' });
  assert.deepEqual(attachFromSection('sockops'), { progType: 'sock_ops', expectedAttachType: 'cgroup_sock_ops' });
  for (const s of ['kprobe/x', 'kretprobe/x', 'ksyscall/kill', 'uprobe', 'uretprobe//proc/self/exe:f', 'usdt/libc.so.6:libc:setjmp']) assert.deepEqual(attachFromSection(s), { progType: 'kprobe' });
  assert.equal(attachFromSection('tp/sched/sched_process_exec')?.progType, 'tracepoint');
  assert.equal(attachFromSection('raw_tp/sched_switch')?.progType, 'raw_tracepoint');
  assert.equal(attachFromSection('xdp_vlan01')?.progType, 'xdp');
  assert.equal(attachFromSection('perf_event')?.progType, 'perf_event');
  assert.equal(attachFromSection('.text'), undefined);
  assert.deepEqual([1, 4096, 4097, 1 << 24].map(ringbufSize), [4096, 4096, 8192, 1 << 24]);
});
