// Tabulates scripts/passes-results.sh's RunReports: OUT/k2-suite.csv, OUT/real-world.csv (one row
// per program section) and OUT/summary.md (totals, per-pass credit, kernel verdicts).
// Usage: node scripts/passes-table.mjs WORK_DIR OUT_DIR COMMIT
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [work, out, commit] = process.argv.slice(2);
const PASSES = ['unreachable', 'constants', 'redundant-loads', 'copies', 'store-merge', 'load-merge', 'atomic-add', 'peephole', 'dead-code'];

function rowsOf(dir, isObject) {
  const rows = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    const name = f.replace(/\.json$/, '').replaceAll('__', '/');
    const [rc, secs] = readFileSync(join(dir, `${f}.rc`), 'utf8').trim().split(' ');
    const err = existsSync(join(dir, `${f}.err`)) ? readFileSync(join(dir, `${f}.err`), 'utf8').trim().split('\n')[0] ?? '' : '';
    if (!existsSync(join(dir, f))) { rows.push({ program: name, section: '', error: err || `exit ${rc}` }); continue; }
    const d = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const reports = isObject ? d.reports ?? [] : [d];
    for (const s of isObject ? d.sections : [{ section: '', before: d.originalInsnCount, after: d.bestInsnCount }]) {
      const r = reports.find((x) => x.benchmark.endsWith(`:${s.section}`) || x.benchmark === s.section || !isObject);
      if (!r?.passes) { rows.push({ program: name, section: s.section, before: s.before, after: s.after, error: s.skipped ?? 'no passes report' }); continue; }
      const credit = Object.fromEntries(r.passes.credits.map((c) => [c.pass, c]));
      rows.push({
        program: name, section: s.section, before: s.before, passed: r.passes.insnsAfter, after: s.after,
        written: r.bestInsnCount < r.originalInsnCount, proof: r.verified, kernel: r.kernelCheck,
        notWritten: r.notWritten ?? '', skipped: r.passes.skipped ?? '', ms: r.passes.ms, proofs: r.passes.proofs, timedOut: r.passes.timedOut, wallS: Number(secs),
        credit, error: '',
      });
    }
  }
  return rows;
}

const csvCell = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
function writeCsv(file, rows) {
  const head = ['program', 'section', 'insns_before', 'insns_after_passes', 'insns_written', 'proof', 'kernel', 'not_written', 'passes_not_run', 'passes_ms', 'proofs', 'timed_out',
    ...PASSES.flatMap((p) => [`${p}_removed`, `${p}_applied`, `${p}_refused`, `${p}_ms`]), 'error'];
  const lines = rows.map((r) => [r.program, r.section, r.before ?? '', r.passed ?? '', r.after ?? '', r.proof ?? '', r.kernel ?? '', r.notWritten ?? '', r.skipped ?? '', r.ms ?? '', r.proofs ?? '', r.timedOut ?? '',
    ...PASSES.flatMap((p) => { const c = r.credit?.[p]; return c ? [c.removed, c.applied, c.rejected, c.ms] : ['', '', '', '']; }), r.error].map(csvCell).join(','));
  writeFileSync(file, [head.join(','), ...lines].join('\n') + '\n');
}

function summary(title, rows) {
  const ok = rows.filter((r) => r.passed !== undefined);
  const sum = (f) => ok.reduce((t, r) => t + f(r), 0);
  const before = sum((r) => r.before), written = sum((r) => r.after), passed = sum((r) => r.passed);
  const changed = ok.filter((r) => r.passed < r.before);
  const verdicts = (rs) => { const k = {}; for (const r of rs) k[r.kernel] = (k[r.kernel] ?? 0) + 1; return Object.entries(k).map(([v, n]) => `${v} ${n}`).join(', ') || 'none'; };
  const lines = [`## ${title}`, '',
    `${rows.length} program sections; ${ok.length} through the passes; ${rows.length - ok.length} not (reason in the CSV's error column).`, '',
    `| | instructions |`, `|---|---|`,
    `| before | ${before} |`, `| after the passes | ${passed} (−${before - passed}, ${(100 * (before - passed) / Math.max(before, 1)).toFixed(2)}%) |`,
    `| written (through the output gate) | ${written} (−${before - written}, ${(100 * (before - written) / Math.max(before, 1)).toFixed(2)}%) |`, '',
    `Sections whose input fails our safety checker (no rewrite of it can pass it, so the passes do not run): ${ok.filter((r) => r.skipped).length} (${sum((r) => (r.skipped ? r.before : 0))} instructions).`,
    `On the ${ok.filter((r) => !r.skipped).length} sections the passes ran on: ${sum((r) => (r.skipped ? 0 : r.before))} → ${sum((r) => (r.skipped ? 0 : r.after))} instructions written (−${(100 * sum((r) => (r.skipped ? 0 : r.before - r.after)) / Math.max(1, sum((r) => (r.skipped ? 0 : r.before)))).toFixed(2)}%).`,
    `Sections the passes shortened: ${changed.length}; of those written: ${changed.filter((r) => r.written).length}; not written: ${changed.filter((r) => !r.written).map((r) => `${r.program} ${r.section}: ${r.notWritten}`).join('; ') || 'none'}.`,
    `Mean saved per section: ${(ok.reduce((t, r) => t + (r.before - r.after) / r.before, 0) / Math.max(ok.length, 1) * 100).toFixed(2)}% (written slots).`,
    `Kernel verdict of the sections written shortened (the passes' programs): ${verdicts(changed.filter((r) => r.written))}; of the others (the input as it was): ${verdicts(ok.filter((r) => !(r.passed < r.before && r.written)))}.`,
    `Passes time: total ${(sum((r) => r.ms) / 1000).toFixed(1)} s, median ${median(ok.map((r) => r.ms)).toFixed(0)} ms, max ${Math.max(0, ...ok.map((r) => r.ms)).toFixed(0)} ms per section; ${ok.filter((r) => r.timedOut).length} stopped by the time limit; ${sum((r) => r.proofs)} window proofs.`, '',
    '| pass | rewrites applied | instructions removed | proposals refused (safety or proof) | ms |', '|---|---|---|---|---|',
    ...PASSES.map((p) => `| ${p} | ${sum((r) => r.credit[p]?.applied ?? 0)} | ${sum((r) => r.credit[p]?.removed ?? 0)} | ${sum((r) => r.credit[p]?.rejected ?? 0)} | ${sum((r) => r.credit[p]?.ms ?? 0).toFixed(0)} |`), ''];
  return lines.join('\n');
}
function median(xs) { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : 0; }

const k2 = rowsOf(join(work, 'k2'), false), rw = rowsOf(join(work, 'rw'), true);
// K2's published count per benchmark (suite.json k2_reference), beside the passes' own.
const suite = JSON.parse(readFileSync('../shared/k2-suite/suite.json', 'utf8'));
const k2Count = Object.fromEntries(suite.benchmarks.map((b) => [b.name, b.k2_reference?.k2_instructions]));
const k2Lines = ['| program | clang -O2 | after the passes | K2 (published, hours of search) | passes ms |', '|---|---|---|---|---|',
  ...k2.map((r) => `| ${r.program} | ${r.before} | ${r.after} | ${k2Count[r.program] ?? '?'} | ${r.ms?.toFixed?.(0) ?? ''} |`), ''];
writeCsv(join(out, 'k2-suite.csv'), k2);
writeCsv(join(out, 'real-world.csv'), rw);
writeFileSync(join(out, 'summary.md'), [`# Passes alone (commit ${commit})`, '', summary("K2's 11 programs", k2), ...k2Lines, summary('../shared/real-world', rw)].join('\n'));
process.stdout.write(readFileSync(join(out, 'summary.md'), 'utf8'));
