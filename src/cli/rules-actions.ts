/**
 * The actions of `k2lab rules` over one database (src/cli/rules.ts parses the flags): list, stats,
 * export and verify (re-prove every rule with Z3). Import and merge are in rules-import.ts.
 */
import { statSync } from 'node:fs';
import { disassemble } from '../ebpf/disasm.js';
import { InputError } from '../ebpf/errors.js';
import { createZ3Impl, nativeAvailable } from '../../variants/z3/index.js';
import { ruleToLine } from '../rules/jsonl.js';
import { proveRule } from '../rules/prove.js';
import { generalityLabel, type Rule } from '../rules/rule.js';
import { resolveRulesPath } from '../rules/store.js';
import { writeFileAtomic } from '../common/atomic-write.js';

export const RULES_ACTIONS = ['list', 'stats', 'verify', 'export', 'import', 'merge'] as const;
export interface RulesArgs { action: (typeof RULES_ACTIONS)[number]; files: string[]; rules?: string; json: boolean; out?: string; verify: boolean; rlimit?: number }

export function databasePath(flag: string | undefined): string {
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
  return `${r.id} ${generalityLabel(r)} len ${r.pattern.length} saves ${r.saved} fires ${r.fires} from ${r.provenance.programName}${r.provenance.section ? `:${r.provenance.section}` : ''} ${r.provenance.learnedAt}`;
}

export async function proverFor(a: RulesArgs): Promise<(r: Rule) => { ok: boolean; detail: string }> {
  const impl = await createZ3Impl(nativeAvailable() ? 'native-process' : 'fresh-solver');
  process.once('exit', () => impl.dispose());
  return (r) => proveRule(r, impl, a.rlimit);
}

/** list, stats, export or verify over the database's rules. */
export async function runOnRules(a: RulesArgs, path: string, rules: Rule[]): Promise<void> {
  if (a.action === 'list') {
    if (a.json) { process.stdout.write(JSON.stringify(rules, null, 2) + '\n'); return; }
    const out: string[] = [];
    for (const r of rules) {
      out.push(summary(r));
      const before = ruleText(r, r.pattern), after = ruleText(r, r.replacement);
      const width = Math.max(...before.map((l) => l.length));
      before.forEach((l, i) => out.push(`    ${l.padEnd(width)}  =>  ${after[i]}`));
      if (r.imms) out.push(`    immediates: ${r.imms.map((p, k) => `k${k} (${r.pattern[p.pattern[0]!]!.imm} here) at pattern ${p.pattern.join(',')}${p.replacement.length ? `, replacement ${p.replacement.join(',')}` : ''}`).join('; ')}`);
      if (r.stackShift) out.push(`    stack offsets + d for d in [${r.stackShift.min}, ${r.stackShift.max}] step ${r.stackShift.stride}`);
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
      return { id: r.id, generality: generalityLabel(r), ok: p.ok, detail: p.detail, ms: Math.round(performance.now() - t0) };
    });
    if (a.json) process.stdout.write(JSON.stringify({ database: path, rules: rules.length, proved: rules.length - failed, failed, results }, null, 2) + '\n');
    else process.stdout.write(results.map((r) => `${r.ok ? 'proved' : 'FAILED'} ${r.id} ${r.generality}: ${r.detail} (${r.ms} ms)`).join('\n') + `${results.length ? '\n' : ''}${rules.length - failed} of ${rules.length} rule(s) re-proved\n`);
    if (failed > 0) process.exitCode = 1;
  }
}

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
    generality: by((r) => generalityLabel(r)), lengths: by((r) => String(r.pattern.length)), programs: by((r) => r.provenance.programName),
    fires: rules.reduce((t, r) => t + r.fires, 0), firedRules: rules.filter((r) => r.fires > 0).length,
    perfSaved: rules.reduce((t, r) => t + r.saved, 0),
  };
}
