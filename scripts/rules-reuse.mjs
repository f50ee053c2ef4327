#!/usr/bin/env node
// Issue #19's "done when" on xdp_exception (results/rules/reuse.md):
// 1. optimize xdp_exception --time-limit LEARN --rules DB (fresh DB) fills DB;
// 2. a second run on it with DB for USE s: does it reach the first run's size?
// 3. a modified variant (results/rules/xdp_exception-variant/, not in DB): LEARN s without rules vs USE s with DB;
// 4. k2lab rules verify DB.
// Usage: node scripts/rules-reuse.mjs [--learn 60] [--use 5]
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, d) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : d; };
const learn = Number(arg('learn', '60')), use = Number(arg('use', '5'));
const out = join(root, 'results', 'rules');
const suite = join(root, '..', 'shared', 'k2-suite', 'suite.json');
const db = join(out, 'xdp_exception.rules.sqlite');
rmSync(db, { force: true });
const k2lab = (...args) => spawnSync(process.execPath, [join(root, 'bin', 'k2lab.js'), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });

function optimize(prog, seconds, rules, extra = []) {
  const r = k2lab('optimize', prog, '--params-from', suite, '--bench', 'xdp_exception', '--time-limit', String(seconds), '--rules', rules, '--json', '-', '--quiet', ...extra);
  if (r.status !== 0) throw new Error(`optimize exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
  const j = JSON.parse(r.stdout);
  return { insns: j.bestInsnCount, original: j.originalInsnCount, msToBest: j.msToBest, iterations: j.iterations, proof: j.proof ?? '-', rules: j.rules ?? null };
}
const original = join(root, '..', 'shared', 'k2-suite', 'programs', 'xdp_exception');
// The variant, made from K2's program at run time (third-party programs are never copied into the
// repository): one more instruction in front, another context field, another clamp, another map.
const tmp = mkdtempSync(join(tmpdir(), 'k2lab-variant-'));
const variant = join(tmp, 'xdp_exception_variant');
const asm = k2lab('disasm', original).stdout.trim().split('\n').map((l) => l.trim());
const edits = [['r1 = *(u32 *)(r1 + 12)', 'r1 = *(u32 *)(r1 + 16)'], ['r2 = 5', 'r2 = 3'], ['r1 = 5', 'r1 = 3'], ['ld_pseudo r1, 1, 0', 'ld_pseudo r1, 1, 4']];
for (const [from, to] of edits) { const i = asm.indexOf(from); if (i < 0) throw new Error(`xdp_exception changed: no '${from}'`); asm[i] = to; }
writeFileSync(`${variant}.s`, ['r0 = 0', ...asm].join('\n') + '\n');
if (k2lab('asm', `${variant}.s`, '-o', `${variant}.insns`).status !== 0) throw new Error('cannot assemble the variant');
for (const ext of ['maps', 'desc']) copyFileSync(`${original}.${ext}`, `${variant}.${ext}`);
// The variant has one more slot in front: the same window, one slot later.
const variantFlags = ['--prog-type', 'tracepoint', '--win_s_list', '13', '--win_e_list', '15'];

const first = optimize(original, learn, db);
const second = optimize(original, use, db);
const coldVariant = optimize(variant, learn, 'none', variantFlags);
const warmVariant = optimize(variant, use, db, variantFlags);
const verify = k2lab('rules', 'verify', '--rules', db);
rmSync(tmp, { recursive: true, force: true });
const row = (what, r, secs) => `| ${what} | ${secs} s | ${r.original} → ${r.insns} | ${r.msToBest} | ${r.iterations} | ${r.rules ? `${r.rules.applied} applied, ${r.rules.learned} learned` : 'off'} | ${r.proof} |`;
const md = [
  `# Reusing what one search proved (issue #19's "done when", xdp_exception)`,
  ``,
  `\`node scripts/rules-reuse.mjs --learn ${learn} --use ${use}\` (K2's flags for xdp_exception from suite.json, seed 1). The variant, made`,
  `from xdp_exception by the script, has one more instruction in front, reads another context field (offset 16), clamps to 3 instead of 5 and`,
  `counts in another map (fd 4); it is searched in the same window, one slot later (13–15). Taken on a loaded 2-core`,
  `machine shared with other jobs: times are indicative, instruction counts are what each run reached.`,
  ``,
  `| run | budget | instructions | ms to best | iterations | rules | final proof |`,
  `|---|---|---|---|---|---|---|`,
  row('xdp_exception, fresh database (fills it)', first, learn),
  row('xdp_exception again, with the database', second, use),
  row('variant, no rules', coldVariant, learn),
  row('variant, with the database', warmVariant, use),
  ``,
  `- second run reaches the first run's size within ${use} s: **${second.insns <= first.insns ? 'yes' : 'no'}** (${second.insns} vs ${first.insns}, best after ${second.msToBest} ms)`,
  `- variant: ${use} s with the database reaches at least what ${learn} s without reaches: **${warmVariant.insns <= coldVariant.insns ? 'yes' : 'no'}** (${warmVariant.insns} vs ${coldVariant.insns})`,
  `- \`k2lab rules verify\`: exit ${verify.status}; ${verify.stdout.trim().split('\n').pop()}`,
];
writeFileSync(join(out, 'reuse.md'), md.join('\n') + '\n');
process.stdout.write(md.join('\n') + '\n');
