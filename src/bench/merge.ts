/**
 * `k2lab merge DIR… --out D`: combines the folders of one sweep's shards (or of any sweeps with
 * the same plan) into one result folder: every run record once, the environment of every session,
 * and all outputs rebuilt. Runs still missing are reported, and `bench --resume D` can add them.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { InputError } from '../ebpf/errors.js';
import { mergeEnvironments, readEnvironment } from './environment.js';
import { writeOutputs, type Outputs } from './result-files.js';
import { planHash, type SweepConfig } from './plan.js';
import { readConfig, readRecords, RUNS_DIR, writeAtomic, writeConfig, writeRecord, type RunRecord } from './store.js';

export interface MergeResult {
  dir: string;
  outputs: Outputs;
  sources: { dir: string; runs: number }[];
}

export async function mergeSweeps(dirs: readonly string[], out: string): Promise<MergeResult> {
  if (dirs.length === 0) throw new InputError('merge: name at least one result folder');
  const outDir = resolve(out);
  const configs = dirs.map((d) => readConfig(d));
  const first = configs[0]!;
  const hash = planHash(first);
  configs.forEach((c, i) => {
    if (planHash(c) !== hash) {
      throw new InputError(`${dirs[i]}: a different sweep than ${dirs[0]} (benchmarks, iterations, variant sets, profiles, reps, warm-up or seed differ): only shards of one plan merge`);
    }
  });
  const sameDir = dirs.map((d) => resolve(d)).includes(outDir);
  if (sameDir) throw new InputError(`--out: ${out} is one of the folders being merged`);
  if (existsSync(outDir) && readdirSync(outDir).length > 0) {
    let prev: SweepConfig | null = null;
    try { prev = readConfig(outDir); } catch { prev = null; }
    if (!prev || !prev.mergedFrom) throw new InputError(`--out: ${out} exists and is not an earlier merge's folder`);
    rmSync(resolve(outDir, RUNS_DIR), { recursive: true, force: true });
  }
  const merged = new Map<string, RunRecord>();
  const origin = new Map<string, string>();
  const sources: { dir: string; runs: number }[] = [];
  for (const d of dirs) {
    const recs = readRecords(d);
    sources.push({ dir: d, runs: recs.size });
    for (const [key, r] of recs) {
      const had = merged.get(key);
      if (had && !(had.startedAt === r.startedAt && had.host === r.host)) {
        throw new InputError(`run ${key} is in both ${origin.get(key)} and ${d}: merge each shard once`);
      }
      merged.set(key, r);
      origin.set(key, d);
    }
  }
  const config: SweepConfig = {
    ...first, runId: basename(outDir), shard: null, createdAt: new Date().toISOString(),
    mergedFrom: dirs.map((d) => resolve(d)),
  };
  writeConfig(outDir, config);
  for (const r of merged.values()) writeRecord(outDir, r);
  const env = mergeEnvironments(dirs.map((d) => readEnvironment(d)), config);
  writeAtomic(resolve(outDir, 'environment.json'), JSON.stringify(env, null, 2) + '\n');
  const outputs = await writeOutputs(outDir, config, merged);
  return { dir: outDir, outputs, sources };
}
