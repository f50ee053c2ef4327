/**
 * `k2lab rules list|stats|verify|export|import|merge`: the rule database (DESIGN.md §10). The
 * database is `--rules FILE` (default $K2LAB_RULES, else the per-user file); merge names its
 * output and inputs. verify re-proves every rule with Z3 (exit 1 when one does not); import
 * re-proves each rule before storing it.
 */
import { readFileSync, statSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { disassemble } from '../ebpf/disasm.js';
import { InputError } from '../ebpf/errors.js';
import { createZ3Impl, nativeAvailable } from '../../variants/z3/index.js';
import { ruleToLine, rulesOfText } from '../rules/jsonl.js';
import { proveRule } from '../rules/prove.js';
import type { Rule } from '../rules/rule.js';
import { resolveRulesPath, RuleStore } from '../rules/store.js';
import { writeFileAtomic } from '../common/atomic-write.js';

const ACTIONS = ['list', 'stats', 'verify', 'export', 'import', 'merge'] as const;
interface Args { action: (typeof ACTIONS)[number]; files: string[]; rules?: string; json: boolean; out?: string; verify: boolean; rlimit?: number }

function databasePath(flag: string | undefined): string {
  const p = resolveRulesPath(flag);
  if (!p) throw new InputError('--rules none: no rule database to work on');
  return p;
}

/** A rule's instructions as text; abstract registers of a `registers` rule print as a0, a1, … */
export function ruleText(r: Rule, insns: Rule['pattern']): string[] {
  const lines = disassemble(insns);
  return r.generality === 'registers' ? lines.map((l) => l.replace(/\b[rw]([0-9])\b/g, (_m, d: string) => `a${d}`)) : lines;
}

function summary(r: Rule): string {
  return `${r.id} ${r.generality} len ${r.pattern.length} saves ${r.saved} fires ${r.fires} from ${r.provenance.programName}${r.provenance.section ? `:${r.provenance.section}` : ''} ${r.provenance.learnedAt}`;
}

async function proverFor(a: Args): Promise<(r: Rule) => { ok: boolean; detail: string }> {
  const impl = await createZ3Impl(nativeAvailable() ? 'native-process' : 'fresh-solver');
  process.once('exit', () => impl.dispose());
  return (r) => proveRule(r, impl, a.rlimit);
}

export const rulesCommand: CommandModule<object, Args> = {
  command: 'rules <action> [files..]',
  describe: 'the rule database: list, stats, verify (re-prove every rule), export/import (JSON lines), merge OUT IN…',
  builder: (y) => y
    .positional('action', { type: 'string', choices: ACTIONS, demandOption: true })
    .positional('files', { type: 'string', array: true, default: [], describe: 'import: JSON-lines files; merge: OUT.sqlite then the databases to merge into it' })
    .option('rules', { type: 'string', describe: 'rule database (default $K2LAB_RULES, else ~/.local/share/k2lab/rules.sqlite)' })
    .option('json', { type: 'boolean', default: false, describe: 'list/stats/verify: JSON' })
    .option('out', { alias: 'o', type: 'string', describe: 'export: write to FILE instead of stdout' })
    .option('verify', { type: 'boolean', describe: 'import/merge: re-prove each rule before storing it (default: import yes, merge no)' })
    .option('rlimit', { type: 'number', describe: 'Z3 resource limit per proof' })
    .example('$0 rules verify --rules rules.sqlite', '')
    .example('$0 rules export --rules a.sqlite -o a.jsonl && $0 rules import a.jsonl --rules b.sqlite', '')
    .example('$0 rules merge all.sqlite a.sqlite b.sqlite', '') as never,
  handler: async (a) => {
    if (a.rlimit !== undefined && !(Number.isInteger(a.rlimit) && a.rlimit > 0)) throw new InputError(`--rlimit: expected a positive integer, got ${a.rlimit}`);
    const files = a.files.map(String);
    if (a.action === 'merge') return merge(a, files);
    if (a.action === 'import') return importFiles(a, files);
    if (files.length > 0) throw new InputError(`rules ${a.action}: unexpected argument '${files[0]}' (name the database with --rules)`);
    const path = databasePath(a.rules);
    const store = RuleStore.open(path, { mustExist: true });
    let rules: Rule[];
    try { rules = store.all(); } finally { store.close(); }
    if (a.action === 'list') {
      if (a.json) { process.stdout.write(JSON.stringify(rules, null, 2) + '\n'); return; }
      const out: string[] = [];
      for (const r of rules) {
        out.push(summary(r));
        const before = ruleText(r, r.pattern), after = ruleText(r, r.replacement);
        const width = Math.max(...before.map((l) => l.length));
        before.forEach((l, i) => out.push(`    ${l.padEnd(width)}  =>  ${after[i]}`));
        out.push(`    when: ${r.pre.entry.map((k, i) => (k === 'any' ? '' : `${r.generality === 'registers' ? 'a' : 'r'}${i} ${k}`)).filter(Boolean).join(', ') || 'any entry'}; live after: ${liveText(r)}`);
      }
      process.stdout.write(out.join('\n') + (out.length ? '\n' : `no rules in ${path}\n`));
    } else if (a.action === 'stats') {
      const s = stats(rules, path);
      process.stdout.write(a.json ? JSON.stringify(s, null, 2) + '\n' : Object.entries(s).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join('\n') + '\n');
    } else if (a.action === 'export') {
      const text = rules.map(ruleToLine).join('\n') + (rules.length ? '\n' : '');
      if (a.out !== undefined && a.out !== '-') writeFileAtomic(a.out, text, { mkdir: true }); else process.stdout.write(text);
      if (a.out !== undefined && a.out !== '-') process.stderr.write(`k2lab rules: exported ${rules.length} rule(s) to ${a.out}\n`);
    } else {
      const prove = await proverFor(a);
      let failed = 0;
      const results = rules.map((r) => {
        const t0 = performance.now();
        const p = prove(r);
        if (!p.ok) failed++;
        return { id: r.id, generality: r.generality, ok: p.ok, detail: p.detail, ms: Math.round(performance.now() - t0) };
      });
      if (a.json) process.stdout.write(JSON.stringify({ database: path, rules: rules.length, proved: rules.length - failed, failed, results }, null, 2) + '\n');
      else process.stdout.write(results.map((r) => `${r.ok ? 'proved' : 'FAILED'} ${r.id} ${r.generality}: ${r.detail} (${r.ms} ms)`).join('\n') + `${results.length ? '\n' : ''}${rules.length - failed} of ${rules.length} rule(s) re-proved\n`);
      if (failed > 0) process.exitCode = 1;
    }
  },
};

function liveText(r: Rule): string {
  const regs: string[] = [];
  for (let i = 0; i < r.pre.entry.length; i++) if ((r.pre.liveOut >> i) & 1) regs.push(`${r.generality === 'registers' ? 'a' : 'r'}${i}`);
  return regs.join(' ') || 'none';
}

function stats(rules: Rule[], path: string) {
  const by = <K extends string>(key: (r: Rule) => K): Record<string, number> => {
    const m: Record<string, number> = {};
    for (const r of rules) m[key(r)] = (m[key(r)] ?? 0) + 1;
    return m;
  };
  return {
    database: path, bytes: statSync(path).size, rules: rules.length, shapes: new Set(rules.map((r) => r.shape)).size,
    generality: by((r) => r.generality), lengths: by((r) => String(r.pattern.length)), programs: by((r) => r.provenance.programName),
    fires: rules.reduce((t, r) => t + r.fires, 0), firedRules: rules.filter((r) => r.fires > 0).length,
    perfSaved: rules.reduce((t, r) => t + r.saved, 0),
  };
}

/** Stores `rules` (re-proved first when asked), reporting what was new. */
async function store(a: Args, path: string, rules: Rule[], verifyByDefault: boolean, from: string): Promise<void> {
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

async function importFiles(a: Args, files: string[]): Promise<void> {
  if (files.length === 0) throw new InputError('rules import: name one or more JSON-lines files');
  const path = databasePath(a.rules);
  for (const f of files) {
    let text: string;
    try { text = readFileSync(f, 'utf8'); } catch (e) { throw new InputError(`${f}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`); }
    await store(a, path, rulesOfText(text, f), true, f);
  }
}

async function merge(a: Args, files: string[]): Promise<void> {
  if (files.length < 2) throw new InputError('rules merge: name the output database and at least one database to merge into it');
  const [out, ...inputs] = files as [string, ...string[]];
  for (const f of inputs) {
    const db = RuleStore.open(f, { mustExist: true });
    let rules: Rule[];
    try { rules = db.all(); } finally { db.close(); }
    await store(a, out, rules, false, f);
  }
}
