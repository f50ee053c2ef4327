/**
 * The programs the soundness harness mutates: every K2 program (`.insns` with `.maps`/`.desc`),
 * every program section of every clang object (`.o`) under the given folders, each loaded as
 * `k2lab` loads it. A program the tools cannot take yet — it does not load, the interpreter cannot
 * run it (a helper or map type it lacks), or the encoder cannot express it (loops, calls) — is
 * skipped with its reason, counted, never silently dropped.
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { filesUnder } from '../common/files-under.js';
import { loadProgram } from '../ebpf/load.js';
import type { Program } from '../ebpf/program.js';

export interface Corpus { programs: Program[]; skipped: { name: string; reason: string }[] }

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ');

/** Every program under `dirs` (files and folders), in a stable order. */
export function loadCorpus(dirs: readonly string[]): Corpus {
  const paths: string[] = [];
  for (const d of dirs) {
    if (!existsSync(d)) { continue; }
    if (statSync(d).isDirectory()) paths.push(...filesUnder(d, ['.insns', '.o'])); else paths.push(d);
  }
  const programs: Program[] = [];
  const skipped: Corpus['skipped'] = [];
  for (const path of paths) {
    const sections = path.endsWith('.o') ? sectionsOf(path) : [undefined];
    if ('error' in sections) { skipped.push({ name: path, reason: sections.error }); continue; }
    for (const section of sections) {
      const name = section ? `${path}:${section}` : path;
      try {
        const p = loadProgram(path, section ? { section } : {});
        programs.push({ ...p, name: `${basename(path).replace(/\.(insns|o)$/, '')}${section ? `:${section}` : ''}` });
      } catch (e) {
        skipped.push({ name, reason: `does not load: ${message(e)}` });
      }
    }
  }
  return { programs, skipped };
}

/** The program names of an object: itself when it holds one, else those the loader lists. */
function sectionsOf(path: string): (string | undefined)[] | { error: string } {
  try {
    loadProgram(path);
    return [undefined];
  } catch (e) {
    const m = /several programs: (.*?); choose/.exec(message(e));
    if (!m) return { error: `does not load: ${message(e)}` };
    return m[1]!.split(', ').map((x) => x.replace(/ \([^)]*\)$/, ''));
  }
}
