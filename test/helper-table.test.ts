import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HELPER_IDS, HELPERS, helperArgCount, helperName, helperProto } from '../src/ebpf/helpers.js';

test('helper table: HELPER_IDS names agree with the table rows', () => {
  for (const [name, id] of Object.entries(HELPER_IDS)) assert.equal(helperProto(id)?.name, name, `id ${id}`);
});

test('helper table: size arguments point at a size-kind argument', () => {
  for (const p of HELPERS) {
    assert.ok(p.args.length <= 5, p.name);
    p.args.forEach((a, i) => {
      if (a.size && 'arg' in a.size) assert.equal(p.args[a.size.arg]?.kind, 'size', `${p.name} arg ${i + 1}`);
    });
  }
});

test('helper table: unknown ids answer safely', () => {
  assert.equal(helperProto(9999), undefined);
  assert.equal(helperArgCount(9999), 5);
  assert.equal(helperName(69), 'bpf_fib_lookup');
  assert.equal(helperArgCount(5), 0);
});
