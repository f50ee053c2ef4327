/**
 * The "K2 native, measured separately" reference: parses the markdown table of
 * `../shared/k2-native.md` (K2 built with -O3, iterations/s of wall time per benchmark) so that the
 * report can put K2's own speed beside ours. Nothing is hard-coded: no file, no reference rows.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { repoRoot } from '../common/paths.js';

export interface NativeRow {
  benchmark: string;
  instructions: number | null;
  /** K2's `-n` for the measurement. */
  iterations: number | null;
  /** iterations/s of wall time, one per measured run. */
  wallPerSecond: number[];
  wallMean: number;
  /** Search-process CPU iterations/s (K2 without waiting for its Z3 servers), mean over runs; null when absent. */
  searchCpuMean: number | null;
}

export interface NativeReference {
  file: string;
  rows: NativeRow[];
}

/** "16,100 / 16,544" → [16100, 16544]; "450k" / "1.2M" → 450000 / 1200000. */
export function parseNumbers(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/(\d[\d,]*(?:\.\d+)?)\s*([kKmM])?/g)) {
    const v = Number(m[1]!.replace(/,/g, ''));
    const mult = m[2] === undefined ? 1 : /k/i.test(m[2]) ? 1e3 : 1e6;
    if (Number.isFinite(v)) out.push(v * mult);
  }
  return out;
}

function splitRow(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
}

/** Rows of the first markdown table whose header has a "benchmark" column and an "iterations/s wall" column. */
export function parseNativeMarkdown(text: string): NativeRow[] {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.trim().startsWith('|') || !/^\s*\|?\s*:?-{3,}/.test(lines[i + 1]!)) continue;
    const head = splitRow(lines[i]!).map((h) => h.toLowerCase());
    const col = (re: RegExp): number => head.findIndex((h) => re.test(h));
    const cBench = col(/^benchmark$/);
    const cWall = col(/iterations\/s.*wall/);
    if (cBench < 0 || cWall < 0) continue;
    const cInsns = col(/^insns$|instructions/);
    const cN = col(/^-n$/);
    const cCpu = col(/search-cpu/);
    const rows: NativeRow[] = [];
    for (let j = i + 2; j < lines.length && lines[j]!.trim().startsWith('|'); j++) {
      const cells = splitRow(lines[j]!);
      const wall = parseNumbers(cells[cWall] ?? '');
      const name = cells[cBench] ?? '';
      if (!name || wall.length === 0) continue;
      const cpu = cCpu >= 0 ? parseNumbers(cells[cCpu] ?? '') : [];
      rows.push({
        benchmark: name,
        instructions: cInsns >= 0 ? parseNumbers(cells[cInsns] ?? '')[0] ?? null : null,
        iterations: cN >= 0 ? parseNumbers(cells[cN] ?? '')[0] ?? null : null,
        wallPerSecond: wall, wallMean: wall.reduce((s, x) => s + x, 0) / wall.length,
        searchCpuMean: cpu.length ? cpu.reduce((s, x) => s + x, 0) / cpu.length : null,
      });
    }
    if (rows.length) return rows;
  }
  return [];
}

/** `k2-native.md` beside the suite's folder (../shared/k2-native.md for ../shared/k2-suite), else in ../shared. */
export function findNativeFile(suiteFile: string): string | null {
  for (const f of [join(dirname(dirname(resolve(suiteFile))), 'k2-native.md'), resolve(repoRoot, '..', 'shared', 'k2-native.md')]) {
    if (existsSync(f)) return f;
  }
  return null;
}

/**
 * The reference rows that belong to this suite: same benchmark name and, where both say, the same
 * instruction count (so a different suite that reuses a name gets no K2 figure).
 */
export function nativeReference(suiteFile: string, benchmarks: readonly { name: string; instructions?: number }[]): NativeReference | null {
  const file = findNativeFile(suiteFile);
  if (!file) return null;
  let rows: NativeRow[];
  try {
    rows = parseNativeMarkdown(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  const mine = rows.filter((r) => benchmarks.some((b) => b.name === r.benchmark && (b.instructions === undefined || r.instructions === null || b.instructions === r.instructions)));
  return mine.length ? { file, rows: mine } : null;
}
