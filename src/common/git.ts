/**
 * The repository's git state for provenance (RunReports, benchmark environments): one reader, run
 * from the repository root; null when git or the repository is absent (an installed copy).
 */
import { execFileSync } from 'node:child_process';
import { repoRoot } from './paths.js';

/** A git command's trimmed output, or null when it fails. */
export function git(args: readonly string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null;
  }
}

let cachedCommit: string | null | undefined;
/** HEAD's commit, read once per process (every report of one process names the same code). */
export function gitCommit(): string | null {
  if (cachedCommit === undefined) cachedCommit = git(['rev-parse', 'HEAD']);
  return cachedCommit;
}
