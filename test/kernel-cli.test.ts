/**
 * The kernel oracle's subcommands through the real CLI: kernel-check, difftest and kernel-time,
 * their output and exit status, bad flags as one-line errors, and the one-line "kernel oracle
 * unavailable" message (forced with K2LAB_KERNEL_ORACLE=off, so that path is tested everywhere).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { kernelUnavailableReason } from '../src/kernel/index.js';
import { repoRoot, sharedAvailable, sharedDir } from './paths.js';

const skipKernel: string | false = kernelUnavailableReason() ?? false;
const skipSuite: string | false = skipKernel || (sharedAvailable ? false : `K2 suite not found in ${sharedDir}`);
const suite = (name: string): string => relative(repoRoot, join(sharedDir, 'k2-suite', 'programs', name));

function k2lab(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['bin/k2lab.js', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
}

function oneLineError(r: ReturnType<typeof k2lab>, pattern: RegExp): void {
  const why = `stderr: ${r.stderr}\nstdout: ${r.stdout}`;
  assert.equal(r.status, 2, why);
  assert.equal(r.stdout, '', why);
  assert.match(r.stderr, /^k2lab: [^\n]+\n$/, why);
  assert.match(r.stderr, pattern, why);
}

test('without the oracle every kernel command says so in one line (exit 2)', () => {
  const off = { K2LAB_KERNEL_ORACLE: 'off' };
  for (const args of [['kernel-check', 'test/kernel/prandom.s', '--prog-type', 'xdp'], ['difftest', 'test/kernel/prandom.s', '--prog-type', 'xdp'],
    ['kernel-time', 'test/kernel/prandom.s', 'test/kernel/prandom.s', '--prog-type', 'xdp']]) {
    oneLineError(k2lab(args, off), /^k2lab: kernel oracle unavailable: disabled by K2LAB_KERNEL_ORACLE=off$/m);
  }
});

test('bad flags and programs without a type are one-line errors', () => {
  oneLineError(k2lab(['kernel-check', 'test/kernel/prandom.s', '--prog-type', 'xdp', '--log-level', '3']), /--log-level: expected 1 or 2, got 3/);
  oneLineError(k2lab(['difftest', 'test/kernel/prandom.s', '--prog-type', 'xdp', '--packets', '0']), /--packets: expected a positive integer, got 0/);
  oneLineError(k2lab(['difftest', 'test/kernel/prandom.s', '--prog-type', 'xdp', '--max-len', '5']), /--max-len: expected 14–3000, got 5/);
  oneLineError(k2lab(['kernel-time', 'test/kernel/prandom.s', 'test/kernel/prandom.s', '--prog-type', 'xdp', '--repeat', '-1']), /--repeat: expected a positive integer/);
  if (!skipKernel) oneLineError(k2lab(['kernel-check', 'test/kernel/prandom.s']), /prandom\.s: no program type known .*--prog-type/);
});

test('kernel-check: accepted (exit 0) and rejected with the reason (exit 1), --log, --json', { skip: skipKernel }, () => {
  const bad = k2lab(['kernel-check', 'test/kernel/uninit-reg.s', '--prog-type', 'xdp']);
  assert.equal(bad.status, 1, bad.stderr);
  assert.equal(bad.stdout, 'uninit-reg (xdp): rejected by the Linux verifier: instruction 0: R5 !read_ok\n');
  const log = k2lab(['kernel-check', 'test/kernel/uninit-reg.s', '--prog-type', 'xdp', '--log', '--log-level', '2']);
  assert.match(log.stdout, /^0: \(bf\) r0 = r5$/m);
  const good = k2lab(['kernel-check', 'test/kernel/prandom.s', '--prog-type', 'socket_filter', '--json']);
  assert.equal(good.status, 0, good.stderr);
  assert.deepEqual(JSON.parse(good.stdout), { program: 'prandom', progType: 'socket_filter', accepted: true });
});

test('kernel-check on a K2 suite program', { skip: skipSuite }, () => {
  const r = k2lab(['kernel-check', suite('xdp_fw')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^xdp_fw \(xdp, 72 slots\): accepted by the Linux verifier \(processed \d+ insns/);
});

test('difftest: mismatches are shown with a reproducer and exit 1; --json has the documented keys', { skip: skipKernel }, () => {
  const apart = k2lab(['difftest', 'test/kernel/prandom.s', '--prog-type', 'xdp', '--packets', '3']);
  assert.equal(apart.status, 0, apart.stderr);
  assert.match(apart.stdout, /^ {2}environment-dependent: 3 inputs called helpers answered by the input model \(bpf_get_prandom_u32 3\); 3 of them differ/m);
  const text = k2lab(['difftest', 'test/kernel/prandom.s', '--prog-type', 'xdp', '--packets', '3', '--examples', '1', '--strict-environment']);
  assert.equal(text.status, 1, text.stderr);
  assert.match(text.stdout, /^prandom \(xdp\): 3 inputs, 3 mismatches/);
  assert.match(text.stdout, /^ {2}reproduce {2}k2lab run test\/kernel\/prandom\.s --packet-hex 0{28}$/m);
  const json = k2lab(['difftest', 'test/kernel/prandom.s', '--prog-type', 'xdp', '--packets', '3', '--json', '--strict-environment']);
  const r = JSON.parse(json.stdout) as Record<string, unknown>;
  for (const k of ['program', 'inputs', 'mismatches', 'kernelTestRun', 'examples']) assert.ok(k in r, k);
  assert.equal(r.mismatches, 3);
});

test('difftest on suite programs: agreement (exit 0); tracepoints are verifier-checked only', { skip: skipSuite }, () => {
  const ok = k2lab(['difftest', suite('socket-1'), '--packets', '200']);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^socket-1 \(socket_filter\): 200 inputs, 0 mismatches/);
  const tp = k2lab(['difftest', suite('sys_enter_open')]);
  assert.equal(tp.status, 0, tp.stderr);
  assert.equal(tp.stdout, 'sys_enter_open: tracepoint programs cannot be test-run by the kernel: verifier-checked only (accepted)\n');
});

test('kernel-time prints both programs and the ratio with its CI', { skip: skipSuite }, () => {
  const r = k2lab(['kernel-time', suite('socket-0'), suite('socket-1'), '--repeat', '100', '--packets', '3', '--rounds', '2']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^A socket-0 +[\d.]+ ns\/run/m);
  assert.match(r.stdout, /^B\/A = [\d.]+ \(95% CI [\d.-]+–[\d.-]+\)/m);
});
