/**
 * Committed result folders say what they measured: every folder directly under results/ has a
 * README.md (what was measured, the exact command, the commit), and no committed folder there is
 * named by who or when (addendum*, run*, session<N>*, a date) or by a single letter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** Why a folder name says nothing about what it measured, or undefined when it is a fine name. */
export function badFolderName(name: string): string | undefined {
  if (/^addendum/i.test(name)) return 'an addendum';
  if (/^run/i.test(name)) return 'a run number';
  if (/^session\d/i.test(name)) return 'a session';
  if (/(^|\D)(19|20)\d\d[-_.]?[01]\d[-_.]?[0-3]\d(\D|$)/.test(name)) return 'a date';
  if (/^[a-z]$/i.test(name)) return 'a single letter';
  return undefined;
}

/** The committed folders under results/ (git's view: local sweeps are ignored and do not count). */
function committedFolders(): string[] | undefined {
  let out: string;
  try { out = execFileSync('git', ['ls-files', '-z', 'results'], { cwd: repoRoot, encoding: 'utf8' }); } catch { return undefined; }
  const dirs = new Set<string>();
  for (const f of out.split('\0').filter(Boolean)) {
    const parts = f.split('/');
    for (let i = 2; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort();
}

test('the folder-name rule catches names by who, when or a letter, and passes names by what', () => {
  for (const bad of ['addendum-a', 'Addendum', 'run-3', 'runs', 'session3-ablation', '2026-11-25', 'sweep-20261125', 'b']) {
    assert.ok(badFolderName(bad), `${bad} should be refused`);
  }
  for (const good of ['optimized-vs-baseline-half-n', 'k2-n', 'ablation-4pct-n', 'interp-speed-named-opcodes', 'quality', 'charts', '14a86979835f']) {
    assert.equal(badFolderName(good), undefined, `${good} should pass`);
  }
});

const folders = committedFolders();
test('committed result folders are named by what they measured and each top-level one has a README.md', { skip: folders === undefined ? 'git is unavailable: cannot list the committed results' : false }, () => {
  const misnamed = folders!.flatMap((d) => {
    const why = badFolderName(d.split('/').pop()!);
    return why ? [`${d} is named by ${why}, not by what it measured`] : [];
  });
  assert.deepEqual(misnamed, []);
  const top = folders!.filter((d) => d.split('/').length === 2);
  assert.ok(top.length > 0, 'no committed result folders found');
  const noReadme = top.filter((d) => !existsSync(join(repoRoot, d, 'README.md')));
  assert.deepEqual(noReadme.map((d) => `${d} has no README.md saying what it measured`), []);
});
