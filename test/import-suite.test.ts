/**
 * `k2lab import-suite` (the conversion step of scripts/fetch-k2-suite.sh), on a temporary folder laid
 * out like K2's published inputs: a few K2 programs copied from ../shared (never into the repo) and a
 * run script in K2's bm_default.sh form written here with made-up parameters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guessProgType, importK2Suite, parseK2Script } from '../src/bench/k2-import.js';
import { loadProgram } from '../src/ebpf/load.js';
import { repoRoot, sharedAvailable, sharedDir } from './paths.js';

const k2 = join(sharedDir, 'k2-suite', 'programs');
const skip = sharedAvailable ? false : `K2 suite not found at ${k2} (third-party data lives outside the repo)`;

/** Two benchmarks in the fast part of the script, one after the fast-mode exit. */
const SCRIPT = `set -u
bm_file_prefix=superopt-input-bm/input_bm_0108_ab7e41e/
for x in $(seq $repeat_cnt); do
\tbm_file=\${bm_file_prefix}samples/monitor_kern_tracepoint-xdp-xdp_exception
\toutput_dir="\${output_prefix}/exc/$x/"
\tmkdir -p "$output_dir"
\tk2_cmd="$main_exe --bm_from_file --desc \${bm_file}.desc --bytecode \${bm_file}.insns --map \${bm_file}.maps -k 1 --is_win --port 8000 --logger_level 0 --w_e 0.5 --w_p 2 --st_ex 0 --st_eq 0 --st_avg 1 --st_perf 0 --st_when_to_restart 0 --st_when_to_restart_niter 0 --st_start_prog 0 --p_inst_operand 0.4 --p_inst 0.4 --p_inst_as_nop 0.1 --reset_win_niter 700 --win_s_list 3,5 --win_e_list 4,7 --path_res $output_dir -n 4321"
done
for x in $(seq $repeat_cnt); do
\tbm_file=\${bm_file_prefix}samples/sock_kern_socket-1
\toutput_dir="\${output_prefix}/sock/$x/"
\tk2_cmd="$main_exe --bm_from_file -k 1 --is_win --w_e 0.25 --win_s_list 1 --win_e_list 2 --path_res $output_dir -n 99"
done
if [ $fast_mode -eq 1 ]; then
    exit 0
fi
for x in $(seq $repeat_cnt); do
\tbm_file=\${bm_file_prefix}fw/fw_kern_xdp_fw
\toutput_dir="\${output_prefix}/fw/$x/"
\tk2_cmd="$main_exe --bm_from_file -k 1 --w_p 5 -n 1000"
done
`;

function layout(): { root: string; input: string } {
  const root = mkdtempSync(join(tmpdir(), 'k2lab-import-'));
  const input = join(root, 'input_bm');
  const copies: [string, string][] = [['xdp_exception', 'samples/monitor_kern_tracepoint-xdp-xdp_exception'], ['socket-1', 'samples/sock_kern_socket-1'], ['xdp_fw', 'fw/fw_kern_xdp_fw']];
  for (const [from, to] of copies) {
    mkdirSync(join(input, to, '..'), { recursive: true });
    for (const ext of ['.insns', '.maps', '.desc']) copyFileSync(join(k2, from + ext), join(input, to + ext));
  }
  writeFileSync(join(root, 'bm_default.sh'), SCRIPT);
  return { root, input };
}

test('parseK2Script: names, sources, K2 flags, -n and the fast subset', () => {
  const b = parseK2Script(SCRIPT, 'bm_default.sh');
  assert.deepEqual(b.map((x) => [x.name, x.source, x.iterations, x.fastMode]), [
    ['exc', 'samples/monitor_kern_tracepoint-xdp-xdp_exception', 4321, true],
    ['sock', 'samples/sock_kern_socket-1', 99, true],
    ['fw', 'fw/fw_kern_xdp_fw', 1000, false],
  ]);
  assert.deepEqual(b[0]!.params['win_s_list'], [3, 5]);
  assert.equal(b[0]!.params['is_win'], true);
  assert.equal(b[0]!.params['reset_win_niter'], 700);
  assert.equal(b[2]!.params['is_win'], false);
  assert.equal('port' in b[0]!.params, false, 'non-search flags are dropped');
  assert.throws(() => parseK2Script('echo hi\n', 'x.sh'), /no K2 command lines/);
});

test('guessProgType: tracepoints, socket filters and XDP from the path', () => {
  assert.equal(guessProgType('ebpf_samples/xdp_monitor_kern_tracepoint-xdp-xdp_exception', 1), 'tracepoint');
  assert.equal(guessProgType('ebpf_samples/syscall_tp_kern_tracepoint-syscalls-sys_enter_open', 1), 'tracepoint');
  assert.equal(guessProgType('ebpf_samples/sockex3_kern_socket-0', 1), 'socket_filter');
  assert.equal(guessProgType('katran/xdp_pktcntr_xdp-pktcntr', 1), 'xdp');
  assert.equal(guessProgType('other/prog', 2), 'xdp');
  assert.equal(guessProgType('other/prog', 1), null);
});

test('import-suite writes programs/ and a suite.json in the built-in format that loads', { skip }, () => {
  const { root, input } = layout();
  try {
    const dest = join(root, 'out');
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'k2lab.js'), 'import-suite', input, '--out', dest, '--k2-script', join(root, 'bm_default.sh'), '--provenance', 'programs=a temp copy'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /3 benchmarks/);
    const suite = JSON.parse(readFileSync(join(dest, 'suite.json'), 'utf8')) as { provenance: Record<string, string>; benchmarks: Record<string, unknown>[] };
    const builtin = JSON.parse(readFileSync(join(repoRoot, 'suites', 'builtin', 'suite.json'), 'utf8')) as { benchmarks: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(suite), Object.keys(builtin));
    assert.deepEqual(suite.provenance, { programs: 'a temp copy' });
    assert.deepEqual(suite.benchmarks.map((b) => [b['name'], b['kernel_prog_type'], b['fast_mode'], b['iterations_timing']]), [
      ['exc', 'tracepoint', true, 4321], ['sock', 'socket_filter', true, 99], ['fw', 'xdp', false, 1000],
    ]);
    for (const b of suite.benchmarks) {
      assert.deepEqual(Object.keys(b), Object.keys(builtin.benchmarks[0]!));
      const p = loadProgram(join(dest, b['insns'] as string));
      assert.equal(p.progType, b['kernel_prog_type'], 'program type found through the new suite.json');
      assert.equal(p.insns.length, b['instructions']);
      assert.ok(readFileSync(join(dest, b['insns'] as string)).equals(readFileSync(join(input, `${b['source'] as string}.insns`))));
    }
    assert.deepEqual((suite.benchmarks[0]!['k2_params'] as Record<string, unknown>)['win_e_list'], [4, 7]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('import-suite without a script takes every complete program under the folder', { skip }, () => {
  const { root, input } = layout();
  try {
    const r = importK2Suite(input, join(root, 'all'));
    assert.equal(r.benchmarks, 3);
    const suite = JSON.parse(readFileSync(r.suiteFile, 'utf8')) as { benchmarks: { name: string; fast_mode: boolean }[] };
    assert.deepEqual(suite.benchmarks.map((b) => b.name).sort(), ['fw_kern_xdp_fw', 'monitor_kern_tracepoint-xdp-xdp_exception', 'sock_kern_socket-1']);
    assert.ok(suite.benchmarks.every((b) => !b.fast_mode));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('import-suite: a missing folder or program is one line on stderr, exit status 2', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'k2lab.js'), 'import-suite', '/nonexistent/k2', '--out', join(tmpdir(), 'k2lab-never')], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^k2lab: \/nonexistent\/k2: no such folder\n$/);
});
