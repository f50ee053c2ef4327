/**
 * `k2lab rules import` (JSON-lines files into a database, each rule re-proved first) and `merge`
 * (databases into one, re-proved with --verify): what is new is stored, what does not re-prove is not.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../ebpf/errors.js';
import { rulesOfText } from '../rules/jsonl.js';
import type { Rule } from '../rules/rule.js';
import { RuleStore } from '../rules/store.js';
import { databasePath, proverFor, type RulesArgs } from './rules-actions.js';

/** Stores `rules` (re-proved first when asked), reporting what was new. */
async function store(a: RulesArgs, path: string, rules: Rule[], verifyByDefault: boolean, from: string): Promise<void> {
  let keep = rules;
  if (a.verify ?? verifyByDefault) {
    const prove = await proverFor(a);
    keep = rules.filter((r) => {
      const p = prove(r);
      if (!p.ok) process.stderr.write(`k2lab rules: ${from}: rule ${r.id} does not re-prove (${p.detail}): not stored\n`);
      return p.ok;
    });
  }
  const db = RuleStore.open(path);
  try {
    const added = db.add(keep);
    process.stdout.write(`${from}: ${rules.length} rule(s), ${added} new, ${keep.length - added} already present, ${rules.length - keep.length} not re-proved → ${path}\n`);
  } finally { db.close(); }
}

export async function importFiles(a: RulesArgs, files: string[]): Promise<void> {
  if (files.length === 0) throw new InputError('rules import: name one or more JSON-lines files');
  const path = databasePath(a.rules);
  for (const f of files) {
    let text: string;
    try { text = readFileSync(f, 'utf8'); } catch (e) { throw new InputError(`${f}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`); }
    await store(a, path, rulesOfText(text, f), true, f);
  }
}

export async function merge(a: RulesArgs, files: string[]): Promise<void> {
  if (files.length < 2) throw new InputError('rules merge: name the output database and at least one database to merge into it');
  const [out, ...inputs] = files as [string, ...string[]];
  for (const f of inputs) {
    const db = RuleStore.open(f, { mustExist: true });
    let rules: Rule[];
    try { rules = db.all(); } finally { db.close(); }
    await store(a, out, rules, false, f);
  }
}
