/**
 * The size limits of the working rules, checked from the source: a src/cli file (flags, one stage
 * call, printing) stays within 120 lines and any other source file within 450. (No import cycle
 * between src/ folders is checked in test/stage-order.test.ts.) An exception must be listed here
 * with its reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from './paths.js';

const CLI_MAX_LINES = 120;
const FILE_MAX_LINES = 450;
/** File (relative to the repository) → why it may exceed its limit. None today. */
const EXCEPTIONS: Readonly<Record<string, string>> = {};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Lines as an editor counts them (a final newline does not start another line). */
export const lineCount = (text: string): number => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

export function overLimit(file: string, lines: number): string | undefined {
  const limit = file.startsWith('src/cli/') ? CLI_MAX_LINES : FILE_MAX_LINES;
  return lines > limit ? `${file}: ${lines} lines (limit ${limit})` : undefined;
}

test('the limit rule: 120 lines for src/cli, 450 elsewhere', () => {
  assert.equal(lineCount('a\nb\n'), 2);
  assert.equal(lineCount('a\nb'), 2);
  assert.equal(overLimit('src/cli/x.ts', 120), undefined);
  assert.match(overLimit('src/cli/x.ts', 121) ?? '', /121 lines \(limit 120\)/);
  assert.equal(overLimit('src/search/x.ts', 450), undefined);
  assert.match(overLimit('variants/z3/x.ts', 451) ?? '', /limit 450/);
});

test('no source file exceeds its size limit (exceptions listed with a reason)', () => {
  const files = ['src', 'variants'].flatMap((d) => sourceFiles(join(repoRoot, d)));
  assert.ok(files.length > 100, `only ${files.length} source files found`);
  const over = files.flatMap((f) => {
    const rel = relative(repoRoot, f);
    const why = overLimit(rel, lineCount(readFileSync(f, 'utf8')));
    return why && !(rel in EXCEPTIONS) ? [why] : [];
  });
  assert.deepEqual(over, []);
  for (const [file, reason] of Object.entries(EXCEPTIONS)) assert.ok(reason.length > 10, `${file}: the exception needs a reason`);
});
