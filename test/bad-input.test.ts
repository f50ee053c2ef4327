/**
 * The bad-input corpus (test/bad-input/cases.json, ubpf-style "tests are data"): every case runs the
 * real CLI and checks the contract for bad input — exit status 2, exactly one stderr line naming the
 * file (and instruction), no stack trace, nothing on stdout. Status-0 cases are positive controls.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './paths.js';

interface Case { args: string[]; status: number; stderr?: string; stdout?: string }

const { cases } = JSON.parse(readFileSync(join(repoRoot, 'test/bad-input/cases.json'), 'utf8')) as { cases: Case[] };

for (const c of cases) {
  test(`k2lab ${c.args.join(' ') || '(no arguments)'} → ${c.status}`, () => {
    const r = spawnSync(process.execPath, ['bin/k2lab.js', ...c.args], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
    const err = r.stderr.replace(/\n$/, '');
    const why = `stderr was:\n${r.stderr}\nstdout was:\n${r.stdout}`;
    assert.equal(r.status, c.status, `exit status; ${why}`);
    if (c.stdout !== undefined) assert.match(r.stdout, new RegExp(c.stdout), why);
    else assert.equal(r.stdout, '', why);
    if (c.status === 0) { assert.equal(r.stderr, '', why); return; }
    assert.ok(r.stderr.endsWith('\n'), `stderr ends with a newline; ${why}`);
    assert.ok(!err.includes('\n'), `exactly one stderr line; ${why}`);
    assert.doesNotMatch(err, /\bat .*:\d+:\d+|\w*Error:|internal error/, why);
    assert.match(err, new RegExp(c.stderr ?? '^k2lab: '), why);
  });
}
