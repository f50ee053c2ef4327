/**
 * The safety comparison (safety-kernel.ts) as files: a CSV of the four counts per program and
 * mutation kind (with an "all" row), and a markdown page with the totals, every hole (we accept,
 * the kernel rejects) with the kernel's reason, and where we err on the safe side, grouped by reason.
 */
import { OUTCOMES, pattern, type Counts, type SafetyComparison } from './safety-kernel.js';

const csvCell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function safetyCsv(r: SafetyComparison): string {
  const rows = [['program', 'kind', 'both_accept', 'both_reject', 'we_reject_kernel_accepts', 'we_accept_kernel_rejects'].join(',')];
  const row = (prog: string, kind: string, c: Counts): void => { rows.push([csvCell(prog), kind, ...OUTCOMES.map((o) => String(c[o]))].join(',')); };
  row('all', 'all', r.total);
  for (const [kind, c] of Object.entries(r.byKind).sort()) row('all', kind, c);
  for (const [prog, c] of Object.entries(r.byProgram).sort()) row(prog, 'all', c);
  return rows.join('\n') + '\n';
}

export function safetyMarkdown(r: SafetyComparison, command: string, commit: string): string {
  const t = r.total;
  const judged = OUTCOMES.reduce((a, o) => a + t[o], 0);
  const out = [
    '# Safety verdicts: our checker vs the Linux verifier', '',
    `Command: \`${command}\` at commit ${commit}; ${(r.ms / 1000).toFixed(0)} s.`, '',
    `Programs: ${r.programs} (both the kernel and our checker accept the original; ${r.skipped.length} others skipped, reasons in the JSON).`,
    `Mutants: ${r.mutants} tried, ${r.duplicates} duplicates or not applicable, ${judged} judged by both, ${Object.values(r.kernelErrors).reduce((a, b) => a + b, 0)} the kernel could not judge.`, '',
    '| both accept | both reject | we reject, kernel accepts (errs safe) | we accept, kernel rejects (hole) |', '|---:|---:|---:|---:|',
    `| ${t.bothAccept} | ${t.bothReject} | ${t.weRejectKernelAccepts} | ${t.weAcceptKernelRejects} |`, '',
    '## By mutation kind', '', '| kind | both accept | both reject | errs safe | hole |', '|---|---:|---:|---:|---:|',
    ...Object.entries(r.byKind).sort().map(([k, c]) => `| ${k} | ${c.bothAccept} | ${c.bothReject} | ${c.weRejectKernelAccepts} | ${c.weAcceptKernelRejects} |`), '',
    '## Holes: we accept, the kernel rejects', '',
  ];
  if (r.holes.length === 0) out.push('None.', '');
  else out.push('| program | mutation | kernel\'s reason |', '|---|---|---|', ...r.holes.map((h) => `| ${h.program} | ${h.mutation} | ${h.kernel.replace(/\|/g, '\\|')} |`), '');
  out.push('## Erring safe: our reasons for mutants the kernel accepts', '', '| count | our reason (numbers elided) |', '|---:|---|');
  out.push(...Object.entries(r.erringSafe).sort((a, b) => b[1] - a[1]).map(([k, n]) => `| ${n} | ${k.replace(/\|/g, '\\|')} |`), '');
  const skipped: Record<string, number> = {};
  for (const s of r.skipped) { const k = pattern(s.reason.replace(/^does not load: .*?: /, 'does not load: ').replace(/instruction \d+( of \S+)?: /, '')); skipped[k] = (skipped[k] ?? 0) + 1; }
  out.push('## Programs left out, by reason', '', 'A program our checker rejects unmutated errs on the safe side as a whole (the optimizer cannot work on it).', '', '| count | reason (numbers elided) |', '|---:|---|');
  out.push(...Object.entries(skipped).sort((a, b) => b[1] - a[1]).map(([k, n]) => `| ${n} | ${k.replace(/\|/g, '\\|')} |`), '');
  if (Object.keys(r.kernelErrors).length > 0) {
    out.push('## Not judged by the kernel', '', '| count | error |', '|---:|---|', ...Object.entries(r.kernelErrors).map(([k, n]) => `| ${n} | ${k} |`), '');
  }
  return out.join('\n');
}
