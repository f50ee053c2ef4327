/**
 * rules — the rule database: window rewrites the search proved, generalised (registers, immediates
 * and stack offsets abstracted where the proof allows) and re-proved with Z3, stored in SQLite,
 * matched by pattern shape and applied (each application proved again) before and during later
 * searches.
 * May import: ebpf, common, interp, analysis, safety, search, verify.
 */
export { rulesBeforeSearch, rulesAfterSearch, type RulesReport, type RulesSession } from './run.js';
export { RuleStore, resolveRulesPath } from './store.js';
export { applyRules, type ApplyOutcome } from './apply.js';
export { learnRules, type LearnOutcome } from './learn.js';
export { proveRule, type ProofOutcome } from './prove.js';
export { ruleToLine, rulesOfText } from './jsonl.js';
export type { Rule } from './rule.js';
