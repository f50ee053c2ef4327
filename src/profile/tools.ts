/**
 * The profilers, each wrapped around one child process `node [flags] bin/k2lab.js optimize …`:
 * V8's --cpu-prof (one file per thread, renamed to optimizer[.thread-N].cpuprofile), 0x
 * (flamegraph.html) and clinic flame / doctor (their HTML report). Raw tool output is removed unless kept.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { makeDirs } from '../common/atomic-write.js';
import { InputError } from '../ebpf/errors.js';
import { threadFileName } from './cpuprofile.js';

export const TOOLS = ['cpuprof', '0x', 'clinic-flame', 'clinic-doctor'] as const;
export type Tool = (typeof TOOLS)[number];

/** The optimizer run to profile: Node flags (runtime profile) and the CLI arguments after node. */
export interface OptimizerCommand {
  nodeFlags: readonly string[];
  /** Extra environment, e.g. K2LAB_RUNTIME_PROFILE (flags given to node directly, so optimize does not re-run itself). */
  env: Readonly<Record<string, string>>;
  /** [bin/k2lab.js, 'optimize', PROG, …] */
  args: readonly string[];
  /** For messages: "xdp_map_access / k2-baseline". */
  label: string;
}

export interface ToolRun {
  /** Files written into the profile folder (names relative to it). */
  files: string[];
  stdout: string;
  ms: number;
}

function run(argv: readonly string[], cwd: string, cmd: OptimizerCommand, tool: string, extraEnv: Record<string, string> = {}): { stdout: string; ms: number } {
  const label = cmd.label;
  const t0 = performance.now();
  const env = { ...process.env, ...cmd.env, ...extraEnv };
  const r = spawnSync(process.execPath, argv, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.error) throw new Error(`${tool} for ${label}: cannot start node (${r.error.message})`);
  if (r.status !== 0) {
    // The last line that is not part of a stack trace says what went wrong.
    const last = (r.stderr || r.stdout || '').split('\n').filter((l) => l.trim() !== '' && !/^\s+at /.test(l)).pop()?.trim() ?? '';
    const msg = `${tool} for ${label}: the profiled run failed (exit ${r.status ?? r.signal}): ${last.replace(/^k2lab: /, '')}`;
    // Exit 2 is the optimizer's own "bad input" (a bad program or flag): report it as ours.
    if (r.status === 2) throw new InputError(msg);
    throw new Error(msg);
  }
  return { stdout: r.stdout, ms };
}

/** V8 CPU profile of the run; `intervalUs` is the sampling interval. */
export function runCpuProf(cmd: OptimizerCommand, dir: string, intervalUs: number): ToolRun {
  const outDir = resolve(dir);
  const raw = join(outDir, '.cpuprof-raw');
  rmSync(raw, { recursive: true, force: true });
  makeDirs(raw);
  const argv = [...cmd.nodeFlags, '--cpu-prof', `--cpu-prof-dir=${raw}`, `--cpu-prof-interval=${intervalUs}`, ...cmd.args];
  const { stdout, ms } = run(argv, outDir, cmd, 'cpuprof');
  const files: string[] = [];
  for (const f of readdirSync(raw).sort()) {
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread.
    const m = /^CPU\.\d+\.\d+\.\d+\.(\d+)\.\d+\.cpuprofile$/.exec(f);
    if (!m) continue;
    const name = threadFileName('optimizer', Number(m[1]));
    renameSync(join(raw, f), join(outDir, name));
    files.push(name);
  }
  rmSync(raw, { recursive: true, force: true });
  if (!files.includes('optimizer.cpuprofile')) throw new Error(`cpuprof for ${cmd.label}: node wrote no main-thread profile`);
  return { files: files.sort(), stdout, ms };
}

/** A tool's CLI script from its installed package (a dependency of k2lab). */
function toolScript(pkg: string, bin: string): string {
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${pkg}/package.json`);
  } catch {
    throw new InputError(`--tool: the '${pkg}' package is not installed (run npm ci)`);
  }
  const meta = JSON.parse(readFileSync(pkgJson, 'utf8')) as { bin?: string | Record<string, string> };
  const rel = typeof meta.bin === 'string' ? meta.bin : meta.bin?.[bin];
  if (!rel) throw new InputError(`--tool: the '${pkg}' package has no '${bin}' command`);
  return resolve(dirname(pkgJson), rel);
}

/** 0x: its own profiling run (V8 --prof underneath); keeps flamegraph.html. */
export function run0x(cmd: OptimizerCommand, dir: string, keepRaw: boolean): ToolRun {
  const outDir = resolve(dir);
  const raw = join(outDir, '0x-raw');
  rmSync(raw, { recursive: true, force: true });
  makeDirs(raw);
  // 0x collects in its working directory (cwd) and moves the logs to --output-dir: they must differ.
  const argv = [toolScript('0x', '0x'), '--quiet', `--output-dir=${join(raw, 'out')}`, `--title=${cmd.label}`, '--', process.execPath, ...cmd.nodeFlags, ...cmd.args];
  const { stdout, ms } = run(argv, raw, cmd, '0x');
  const html = join(raw, 'out', 'flamegraph.html');
  if (!existsSync(html)) throw new Error(`0x for ${cmd.label}: no flamegraph.html in ${raw}`);
  renameSync(html, join(outDir, 'flamegraph.html'));
  if (!keepRaw) rmSync(raw, { recursive: true, force: true });
  return { files: ['flamegraph.html', ...(keepRaw ? ['0x-raw/'] : [])], stdout, ms };
}

/** clinic flame or clinic doctor; keeps clinic-flame.html / clinic-doctor.html. */
export function runClinic(kind: 'flame' | 'doctor', cmd: OptimizerCommand, dir: string, keepRaw: boolean): ToolRun {
  const outDir = resolve(dir);
  const raw = join(outDir, `clinic-${kind}-raw`);
  rmSync(raw, { recursive: true, force: true });
  makeDirs(raw);
  // NO_INSIGHT: clinic otherwise asks (on a terminal) for usage-statistics consent, and without a
  // terminal silently does nothing; NO_UPDATE_NOTIFIER: no registry look-up on every run.
  const argv = [toolScript('clinic', 'clinic'), kind, `--dest=${raw}`, '--open=false', '--', process.execPath, ...cmd.nodeFlags, ...cmd.args];
  const { stdout, ms } = run(argv, raw, cmd, `clinic ${kind}`, { NO_INSIGHT: '1', NO_UPDATE_NOTIFIER: '1' });
  const html = readdirSync(raw).find((f) => f.endsWith(`.clinic-${kind}.html`));
  if (!html) throw new Error(`clinic ${kind} for ${cmd.label}: no HTML report in ${raw}`);
  const name = `clinic-${kind}.html`;
  renameSync(join(raw, html), join(outDir, name));
  if (!keepRaw) rmSync(raw, { recursive: true, force: true });
  return { files: [name, ...(keepRaw ? [`clinic-${kind}-raw/`] : [])], stdout, ms };
}
