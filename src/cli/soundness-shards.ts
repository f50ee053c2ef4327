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
  let keep = false;
  try {
    const common = ['soundness', '--programs', ...dirs, '--mutants', String(a.mutants), '--seed', String(a.seed), '--inputs', String(a.inputs),
      '--kernel-inputs', String(a['kernel-inputs']), `--kernel-verdicts=${a['kernel-verdicts']}`,
      ...(a['time-limit'] !== undefined ? ['--time-limit', String(a['time-limit'])] : []),
      ...(a.rlimit !== undefined ? ['--rlimit', String(a.rlimit)] : []),
      ...(a['query-ms'] !== undefined ? ['--query-ms', String(a['query-ms'])] : [])];
    const children: ReturnType<typeof spawn>[] = [];
    const runs = Array.from({ length: jobs }, (_, i) => new Promise<HarnessReport>((done, fail) => {
      const json = join(dir, `shard-${i}.json`);
      const child = spawn(process.execPath, [...process.execArgv, cli, ...common, '--shard', `${i}/${jobs}`, '--json', json], { stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
      child.on('error', fail);
      child.on('exit', (code, signal) => {
        try {
          // Exit 1 means the shard found a disagreement: its report says which. Anything else (a crash,
          // out of memory) stops the other shards too: a merged report needs every shard.
          if (code !== 0 && code !== 1) {
            for (const c of children) if (c !== child && c.exitCode === null) c.kill();
            keep = true;
            throw new Error(`soundness shard ${i}/${jobs} died (${signal ?? `exit ${code}`}); the shards' last checkpoints are in ${dir}`);
          }
          const { command: _, ...r } = JSON.parse(readFileSync(json, 'utf8')) as HarnessReport & { command: string };
          done(r);
        } catch (e) { fail(e as Error); }
      });
    }));
    return mergeReports(await Promise.all(runs));
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
