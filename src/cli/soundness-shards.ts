/**
 * `k2lab soundness --jobs N`: the harness in N child processes (`--shard I/N`, src/soundness/merge.ts
 * says how the corpus is split), their JSON reports merged into one. Progress lines pass through.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../ebpf/errors.js';
import type { HarnessReport } from '../soundness/harness.js';
import { mergeReports } from '../soundness/merge.js';

export function shardArg(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]), count = Number(m?.[2]);
  if (!m || count < 1 || index >= count) throw new InputError(`--shard: expected I/N with 0 ≤ I < N, got '${text}'`);
  return { index, count };
}

interface ShardedArgs { mutants: number; seed: number; inputs: number; 'kernel-inputs': number; 'kernel-verdicts': boolean; 'time-limit'?: number; rlimit?: number; 'query-ms'?: number }

/** Runs the shards side by side and merges their reports (a failed shard is an error). */
export async function runShards(jobs: number, dirs: readonly string[], a: ShardedArgs): Promise<HarnessReport> {
  // The launcher (dist/src/cli/ → the repository's bin/), not the CLI module: cli/ sits below src/cli.ts.
  const cli = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'bin', 'k2lab.js');
  const dir = mkdtempSync(join(tmpdir(), 'k2lab-soundness-'));
  try {
    const common = ['soundness', '--programs', ...dirs, '--mutants', String(a.mutants), '--seed', String(a.seed), '--inputs', String(a.inputs),
      '--kernel-inputs', String(a['kernel-inputs']), `--kernel-verdicts=${a['kernel-verdicts']}`,
      ...(a['time-limit'] !== undefined ? ['--time-limit', String(a['time-limit'])] : []),
      ...(a.rlimit !== undefined ? ['--rlimit', String(a.rlimit)] : []),
      ...(a['query-ms'] !== undefined ? ['--query-ms', String(a['query-ms'])] : [])];
    const runs = Array.from({ length: jobs }, (_, i) => new Promise<HarnessReport>((done, fail) => {
      const json = join(dir, `shard-${i}.json`);
      const child = spawn(process.execPath, [...process.execArgv, cli, ...common, '--shard', `${i}/${jobs}`, '--json', json], { stdio: ['ignore', 'ignore', 'inherit'] });
      child.on('error', fail);
      child.on('exit', (code) => {
        try {
          // Exit 1 means the shard found a disagreement: its report says which.
          if (code !== 0 && code !== 1) throw new Error(`soundness shard ${i}/${jobs} exited with ${code}`);
          const { command: _, ...r } = JSON.parse(readFileSync(json, 'utf8')) as HarnessReport & { command: string };
          done(r);
        } catch (e) { fail(e as Error); }
      });
    }));
    return mergeReports(await Promise.all(runs));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
