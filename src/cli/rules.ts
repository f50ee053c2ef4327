/**
 * `k2lab rules list|stats|verify|export|import|merge`: the rule database (DESIGN.md §10). The
 * database is `--rules FILE` (default $K2LAB_RULES, else the per-user file); merge names its
 * output and inputs. verify re-proves every rule with Z3 (exit 1 when one does not); import
 * re-proves each rule before storing it. The actions are in rules-actions.ts and rules-import.ts.
 */
import type { CommandModule } from 'yargs';
import { InputError } from '../ebpf/errors.js';
import type { Rule } from '../rules/rule.js';
import { RuleStore } from '../rules/store.js';
import { databasePath, runOnRules, RULES_ACTIONS, type RulesArgs } from './rules-actions.js';
import { importFiles, merge } from './rules-import.js';

export const rulesCommand: CommandModule<object, RulesArgs> = {
  command: 'rules <action> [files..]',
  describe: 'the rule database: list, stats, verify (re-prove every rule), export/import (JSON lines), merge OUT IN…',
  builder: (y) => y
    .positional('action', { type: 'string', choices: RULES_ACTIONS, demandOption: true })
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
    await runOnRules(a, path, rules);
  },
};

