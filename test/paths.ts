/**
 * Where tests find the repository and the shared third-party data. Works from `test/` and from the
 * compiled `dist/test/` because it searches upward for package.json instead of counting `..`.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(resolve(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

export const repoRoot: string = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
/** Third-party data lives beside the repository, never inside it. */
export const sharedDir: string = resolve(repoRoot, '..', 'shared');
export const sharedAvailable: boolean = existsSync(sharedDir);

// Tests never read or fill the per-user rule database (a test that wants one names it with --rules):
// what an earlier run learned must not change a later run's trajectory.
process.env['K2LAB_RULES'] ??= 'none';
