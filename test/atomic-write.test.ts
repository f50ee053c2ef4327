/**
 * Writing files: makeDirs is mkdir -p one level at a time (Node's recursive mkdir spins forever under
 * /proc), tolerates folders another process creates meanwhile, and writeFileAtomic leaves the old file
 * intact when the write fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirs, writeFileAtomic } from '../src/common/atomic-write.js';

test('makeDirs creates every missing level and is idempotent', () => {
  const root = mkdtempSync(join(tmpdir(), 'k2lab-dirs-'));
  try {
    const deep = join(root, 'a', 'b', 'c');
    makeDirs(deep);
    assert.ok(statSync(deep).isDirectory());
    makeDirs(deep);
    makeDirs(join(root, 'a'));
    assert.ok(statSync(deep).isDirectory());
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test('makeDirs under /proc fails with an error instead of hanging', { skip: !existsSync('/proc/self') && 'no /proc here' }, () => {
  assert.throws(() => makeDirs('/proc/no/such/dir'));
});

test('writeFileAtomic: a failed write keeps the old contents and leaves no temporary file', () => {
  const root = mkdtempSync(join(tmpdir(), 'k2lab-atomic-'));
  try {
    const f = join(root, 'out.txt');
    writeFileSync(f, 'old');
    writeFileAtomic(join(root, 'x', 'y.txt'), 'new', { mkdir: true });
    assert.equal(readFileSync(join(root, 'x', 'y.txt'), 'utf8'), 'new');
    // A folder in the file's place: the rename fails and the folder survives.
    assert.throws(() => writeFileAtomic(join(root, 'x'), 'data'), /cannot write/);
    assert.ok(statSync(join(root, 'x')).isDirectory());
    assert.equal(readFileSync(f, 'utf8'), 'old');
    assert.deepEqual(readdirSync(root).sort(), ['out.txt', 'x']);
  } finally { rmSync(root, { recursive: true, force: true }); }
});
