/**
 * Where the installed tool finds its own files and the optional third-party data beside the
 * repository, independent of the current directory (src/common/ runs from dist/src/common/).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(start, '..', '..', '..');
  }
}

export const repoRoot: string = findRoot(dirname(fileURLToPath(import.meta.url)));
/** The built-in benchmark suite's programs (suites/builtin, our own; the default everywhere). */
export const builtinSuitePrograms: string = join(repoRoot, 'suites', 'builtin', 'programs');
/** K2's 11 benchmark programs, when ../shared is beside the repository. */
export const k2SuitePrograms: string = resolve(repoRoot, '..', 'shared', 'k2-suite', 'programs');
/** Our own small example programs (C sources and clang objects), used when nothing else is given. */
export const exampleObjects: readonly string[] = ['xdp_counter.o', 'socket_filter.o'].map((f) => join(repoRoot, 'test', 'elf', f));
