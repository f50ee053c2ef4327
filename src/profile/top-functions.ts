/**
 * The per-profile reports: `top-functions.md` (the "Top N functions" view with self and inclusive
 * shares, source file:line, hottest line, then callers and callees of the top entries), the same
 * table for every function as `top-functions.csv`, and the "Where the time goes" table.
 */
import { bySelf, mainCategory, pct, type Analysis, type FunctionStats } from './analyze.js';
import { CATEGORIES, CATEGORY_LABEL } from './frames.js';

export interface ReportContext {
  title: string;
  /** Lines shown under the title (the run: iterations, rate, variant set…). */
  notes?: string[];
}

const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const p1 = (x: number): string => `${x.toFixed(1)}%`;

/** Markdown-safe inline code, shortened: wasm C++ names can run to hundreds of characters. */
export function mdName(name: string, max = 70): string {
  const short = name.length > max ? `${name.slice(0, max - 1)}…` : name;
  return '`' + short.replace(/`/g, "'").replace(/\|/g, '\\|') + '`';
}

const mdText = (s: string): string => s.replace(/\|/g, '\\|');

export function profileSummaryLines(a: Analysis): string[] {
  const threads = a.threads.length > 1 ? ` in ${a.threads.length} threads (${a.threads.map((t) => `${t.label} ${ms(t.busyMs)} ms`).join(', ')})` : '';
  const idle = a.idleMs > 0 ? `; idle ${ms(a.idleMs)} ms not counted (waiting: I/O, timers, or the main thread waiting for a worker such as Z3's)` : '';
  return [`${ms(a.busyMs)} ms of samples${threads}, ${a.samples} samples, main thread wall ${ms(a.wallMs)} ms${idle}. Shares are of the sampled (non-idle) time.`];
}

export function whereTimeGoesMd(a: Analysis, heading = '## Where the time goes'): string {
  const rows = CATEGORIES.map((c) => `| ${CATEGORY_LABEL[c]} | ${ms(a.categories[c])} | ${p1(pct(a.categories[c], a.busyMs))} |`);
  const other = [...a.otherModules].sort((x, y) => y[1] - x[1]).slice(0, 6);
  const lines = [
    heading, '',
    'Each sample goes to the category of the module of the innermost function that has one (V8 built-ins and the',
    'cross-cutting errors/allocation axes count for their caller); categories are defined by module path in',
    '`src/profile/frames.ts`.', '',
    '| category | ms | share |', '|---|---:|---:|', ...rows,
  ];
  if (other.length > 0 && a.categories.other > 0) {
    lines.push('', `Largest parts of *other*: ${other.map(([g, t]) => `${mdText(g)} ${p1(pct(t, a.busyMs))}`).join(' · ')}`);
  }
  return lines.join('\n') + '\n';
}

export function topFunctionsMd(a: Analysis, ctx: ReportContext, topN = 25, detailN = 10): string {
  const top = bySelf(a).slice(0, topN);
  const out: string[] = [`# Top functions — ${ctx.title}`, '', ...(ctx.notes ?? []).map((n) => `${n}  `), ...profileSummaryLines(a), ''];
  out.push(whereTimeGoesMd(a));
  out.push(`## Top ${top.length} functions by self time`, '');
  out.push('| # | function | source | self ms | self % | inclusive % | category | hottest line |', '|---:|---|---|---:|---:|---:|---|---|');
  top.forEach((s, i) => {
    out.push(`| ${i + 1} | ${mdName(s.info.name)} | ${mdText(s.info.location)} | ${ms(s.selfMs)} | ${p1(pct(s.selfMs, a.busyMs))} | ${p1(pct(s.totalMs, a.busyMs))} | ${mainCategory(s)} | ${hottestLine(s)} |`);
  });
  out.push('', `## Callers and callees of the top ${Math.min(detailN, top.length)}`, '');
  out.push('Time through each edge as a share of the whole profile (a function reached from several callers lists each).', '');
  top.slice(0, detailN).forEach((s, i) => {
    out.push(`### ${i + 1}. ${mdName(s.info.name)} — ${mdText(s.info.location)} (self ${p1(pct(s.selfMs, a.busyMs))}, inclusive ${p1(pct(s.totalMs, a.busyMs))})`, '');
    out.push(...edgeList(a, 'called from', s.callers), ...edgeList(a, 'calls', s.callees), '');
  });
  return out.join('\n');
}

function edgeList(a: Analysis, label: string, edges: Map<string, number>, max = 5): string[] {
  const sorted = [...edges].sort((x, y) => y[1] - x[1]);
  if (sorted.length === 0) return [`- ${label}: —`];
  const shown = sorted.slice(0, max).map(([k, t]) => {
    const f = a.functions.get(k);
    return `${f ? `${mdName(f.info.name, 50)} (${mdText(f.info.location)})` : mdText(k)} ${p1(pct(t, a.busyMs))}`;
  });
  const rest = sorted.length > max ? ` · ${sorted.length - max} more` : '';
  return [`- ${label}: ${shown.join(' · ')}${rest}`];
}

/** The source line with the most samples inside the function, and its share of the function's samples. */
export function hottestLine(s: FunctionStats): string {
  let best = 0;
  let bestTicks = 0;
  let all = 0;
  for (const [line, t] of s.lineTicks) {
    all += t;
    if (t > bestTicks) [best, bestTicks] = [line, t];
  }
  return all > 0 ? `:${best} (${Math.round((100 * bestTicks) / all)}%)` : '';
}

export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function topFunctionsCsv(a: Analysis): string {
  const head = ['rank', 'function', 'source', 'module', 'line', 'self_ms', 'self_pct', 'inclusive_ms', 'inclusive_pct', 'category', 'hottest_line'];
  const rows = bySelf(a).map((s, i) => [
    i + 1, s.info.name, s.info.location, s.info.module, s.info.line, s.selfMs.toFixed(3), pct(s.selfMs, a.busyMs).toFixed(3),
    s.totalMs.toFixed(3), pct(s.totalMs, a.busyMs).toFixed(3), mainCategory(s), hottestLine(s).replace(/^:(\d+).*/, '$1'),
  ]);
  return [head, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

/** Category shares as JSON-ready numbers (percent), for summary.json and the stdout line. */
export function categoryShares(a: Analysis): Record<string, number> {
  return Object.fromEntries(CATEGORIES.map((c) => [c, Number(pct(a.categories[c], a.busyMs).toFixed(2))]));
}
