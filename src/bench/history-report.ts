/**
 * The outputs of `k2lab history`: history.csv (a row per commit × benchmark × variant set × profile:
 * mean candidates/s and its 95% CI, the commit's A/A floor, change points), an SVG chart of
 * candidates/s per commit with change points and failed commits marked, and history.html/.md.
 *
 * Change points: in each series (benchmark × variant set × profile, commits in order, failed ones
 * skipped) a commit is a change point when its 95% CI of the mean and the previous measured commit's
 * do not overlap and the ratio of their means is farther from 1 than the larger of the two sweeps'
 * A/A floors for that benchmark (0 when a sweep has none).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg, type Chart } from './charts.js';
import { floors, loadRuns } from './compare.js';
import { readEnvironment } from './environment.js';
import type { CommitResult } from './history.js';
import type { Block } from './report-blocks.js';
import { toHtml, toMarkdown } from './render.js';
import { writeAtomic } from './store.js';
import { csvObjects, fmtCI, fmtInt, fmtPct, fmtRatio } from './tables.js';

export interface HistoryRow {
  index: number;
  commit: string;
  date: string;
  subject: string;
  status: CommitResult['status'];
  reason: string | null;
  benchmark: string;
  variantSet: string;
  runtimeProfile: string;
  n: number;
  mean: number;
  ciLow: number;
  ciHigh: number;
  /** This commit's A/A floor for the benchmark (fraction), NaN without an A/A pair. */
  aaFloor: number;
  /** 1-minute load average before and after the commit's sweep (its first session's), NaN when not recorded. */
  loadBefore: number;
  loadAfter: number;
  /** mean ÷ the previous measured commit's mean in the same series (NaN for the first). */
  change: number;
  changePoint: boolean;
}

const num = (s: string | undefined): number => (s === undefined || s === '' ? NaN : Number(s));

/** One row per commit × cell; a failed commit gets one row per benchmark the others measured (or one blank row). */
export function historyRows(commits: readonly CommitResult[]): HistoryRow[] {
  const measured = commits.map((c) => {
    if (!c.sweepDir) return { c, cells: [] as Record<string, string>[], floor: new Map<string, number>(), load: [NaN, NaN] };
    const cells = csvObjects(readFileSync(join(c.sweepDir, 'summary.csv'), 'utf8'));
    const s = readEnvironment(c.sweepDir)?.sessions[0];
    return { c, cells, floor: floors(loadRuns(c.sweepDir).rows), load: [s?.loadAverageBefore[0] ?? NaN, s?.loadAverageAfter?.[0] ?? NaN] };
  });
  const benchmarks = [...new Set(measured.flatMap((m) => m.cells.map((x) => x.benchmark!)))];
  const rows: HistoryRow[] = [];
  measured.forEach(({ c, cells, floor, load }, index) => {
    const base = { index, commit: c.commit, date: c.date, subject: c.subject, status: c.status, reason: c.reason, loadBefore: load[0]!, loadAfter: load[1]! };
    if (cells.length === 0) {
      for (const benchmark of benchmarks.length ? benchmarks : ['']) {
        rows.push({ ...base, benchmark, variantSet: '', runtimeProfile: '', n: 0, mean: NaN, ciLow: NaN, ciHigh: NaN, aaFloor: NaN, change: NaN, changePoint: false });
      }
      return;
    }
    for (const x of cells) {
      rows.push({ ...base, benchmark: x.benchmark!, variantSet: x.variantSet!, runtimeProfile: x.runtimeProfile!, n: num(x.n), mean: num(x.mean),
        ciLow: num(x.ciLow), ciHigh: num(x.ciHigh), aaFloor: floor.get(x.benchmark!) ?? NaN, change: NaN, changePoint: false });
    }
  });
  markChangePoints(rows);
  return rows;
}

const seriesKey = (r: HistoryRow): string => `${r.benchmark}\u0000${r.variantSet}\u0000${r.runtimeProfile}`;

export function markChangePoints(rows: HistoryRow[]): void {
  const last = new Map<string, HistoryRow>();
  for (const r of [...rows].sort((a, b) => a.index - b.index)) {
    if (!(r.mean > 0)) continue;
    const prev = last.get(seriesKey(r));
    last.set(seriesKey(r), r);
    if (!prev) continue;
    r.change = r.mean / prev.mean;
    const apart = r.ciLow > prev.ciHigh || r.ciHigh < prev.ciLow;
    const floor = Math.max(Number.isFinite(r.aaFloor) ? r.aaFloor : 0, Number.isFinite(prev.aaFloor) ? prev.aaFloor : 0);
    r.changePoint = apart && Math.abs(r.change - 1) > floor;
  }
}

export function historyCsv(rows: readonly HistoryRow[]): string {
  const f = (x: number, d: number): number | string => (Number.isFinite(x) ? Number(x.toFixed(d)) : '');
  const head = ['commit', 'date', 'subject', 'status', 'reason', 'benchmark', 'variantSet', 'runtimeProfile', 'n', 'mean', 'ciLow', 'ciHigh', 'aaFloor', 'change', 'changePoint', 'loadBefore', 'loadAfter'];
  return stringify([head, ...rows.map((r) => [r.commit, r.date, r.subject, r.status, r.reason ?? '', r.benchmark, r.variantSet, r.runtimeProfile, r.n,
    f(r.mean, 2), f(r.ciLow, 2), f(r.ciHigh, 2), f(r.aaFloor, 4), f(r.change, 4), r.status === 'ok' ? String(r.changePoint) : '', f(r.loadBefore, 2), f(r.loadAfter, 2)])]);
}

const short = (c: string): string => c.slice(0, 8);

/** Candidates/s per commit, a line per series (log scale), CI whiskers, change points circled in red, failed commits as grey rules. */
export function historyChart(rows: readonly HistoryRow[], commits: readonly CommitResult[]): Chart {
  const axisOrder = commits.map((c, i) => `${i + 1}. ${short(c.commit)}`);
  const label = (i: number): string => axisOrder[i]!;
  const values = rows.filter((r) => r.mean > 0).map((r) => ({
    commit: label(r.index), series: `${r.benchmark} / ${r.variantSet}${r.runtimeProfile === 'default' ? '' : ` @ ${r.runtimeProfile}`}`,
    mean: r.mean, lo: Number.isFinite(r.ciLow) && r.ciLow > 0 ? r.ciLow : null, hi: Number.isFinite(r.ciHigh) ? r.ciHigh : null, changePoint: r.changePoint,
  }));
  const failed = commits.flatMap((c, i) => (c.status === 'ok' ? [] : [{ commit: label(i), text: c.status }]));
  const all = values.flatMap((v) => [v.mean, v.lo ?? NaN, v.hi ?? NaN]).filter((v) => v > 0);
  const domain = all.length ? [Math.min(...all) / 1.3, Math.max(...all) * 1.3] : [1, 10];
  const x = { field: 'commit', type: 'ordinal', sort: axisOrder, scale: { type: 'point', domain: axisOrder, padding: 0.5 }, title: 'commit (oldest first)', axis: { labelAngle: -30 } } as const;
  const y = { type: 'quantitative', scale: { type: 'log', domain, nice: false, clamp: true }, title: 'candidates per second (log scale)' } as const;
  const color = { field: 'series', type: 'nominal', legend: { orient: 'bottom', columns: 2, title: null, labelLimit: 320 } } as const;
  const title = 'Candidates per second per commit';
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: 'mean per commit with 95% CI; red rings: change points; grey rules: commits that did not build or run', anchor: 'start' },
    width: Math.max(360, 90 * commits.length), height: 300,
    layer: [
      ...(failed.length ? [{ data: { values: failed }, mark: { type: 'rule', color: '#999', strokeDash: [4, 3] }, encoding: { x } },
        { data: { values: failed }, mark: { type: 'text', color: '#777', angle: 270, dx: -60, dy: -6, fontSize: 10 }, encoding: { x, text: { field: 'text' } } }] : []),
      { data: { values }, mark: { type: 'line', point: true }, encoding: { x, y: { field: 'mean', ...y }, color } },
      { data: { values: values.filter((v) => v.lo !== null && v.hi !== null) }, mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.7 }, encoding: { x, y: { field: 'lo', ...y }, y2: { field: 'hi' }, color } },
      { data: { values: values.filter((v) => v.changePoint) }, mark: { type: 'point', shape: 'circle', size: 260, filled: false, color: '#d62728', strokeWidth: 2 }, encoding: { x, y: { field: 'mean', ...y } } },
    ],
  };
  return { name: 'history', title, spec: spec as unknown as TopLevelSpec };
}

export const CHANGE_POINT_METHOD = "a commit is a change point of a series (benchmark × variant set × profile) when its 95% CI of the mean and the previous measured commit's do not overlap and the ratio of the two means is farther from 1 than the larger of the two sweeps' A/A floors for that benchmark";

function blocks(rows: readonly HistoryRow[], commits: readonly CommitResult[], range: string, argv: readonly string[]): Block[] {
  const points = rows.filter((r) => r.changePoint);
  return [
    { kind: 'h', level: 1, text: `k2lab history: ${range}` },
    { kind: 'p', text: `${commits.length} commit(s), each checked out, built and swept with \`k2lab bench ${argv.join(' ')}\` by its own k2lab (same suite file, same seed). Files: history.csv, history.svg, sweeps/<commit>/ (each commit's full result folder).` },
    { kind: 'chart', name: 'history', title: 'Candidates per second per commit' },
    { kind: 'h', level: 2, text: 'Commits' },
    { kind: 'table', head: ['#', 'commit', 'date', 'subject', 'status', 'load before / after'], numeric: [true, false, false, false, false, true],
      rows: commits.map((c, i) => {
        const r = rows.find((x) => x.index === i);
        const load = r && Number.isFinite(r.loadBefore) ? `${r.loadBefore.toFixed(2)} / ${Number.isFinite(r.loadAfter) ? r.loadAfter.toFixed(2) : '–'}` : '–';
        return [String(i + 1), short(c.commit), c.date, c.subject.length > 100 ? `${c.subject.slice(0, 100)}…` : c.subject, c.status === 'ok' ? 'measured' : `${c.status}: ${c.reason ?? ''}`, load];
      }) },
    { kind: 'p', text: 'A change point between two commits whose 1-minute load averages differ a lot may be the machine, not the code: the A/A floor is measured inside one sweep and cannot see a change of load between sweeps.' },
    { kind: 'h', level: 2, text: 'Change points' },
    points.length
      ? { kind: 'table', head: ['commit', 'benchmark', 'variant set', 'profile', 'c/s', 'vs previous', 'A/A floor'], numeric: [false, false, false, false, true, true, true],
        rows: points.map((r) => [short(r.commit), r.benchmark, r.variantSet, r.runtimeProfile, fmtInt(r.mean), fmtRatio(r.change), Number.isFinite(r.aaFloor) ? `±${fmtPct(r.aaFloor)}` : '–']) }
      : { kind: 'p', text: 'None: no series changed beyond its CIs and A/A floor between consecutive measured commits.' },
    { kind: 'p', text: `Method: ${CHANGE_POINT_METHOD}.` },
    { kind: 'h', level: 2, text: 'Candidates per second' },
    { kind: 'table', head: ['commit', 'benchmark', 'variant set', 'profile', 'n', 'mean', '95% CI', 'A/A floor', 'vs previous', 'change point'],
      numeric: [false, false, false, false, true, true, false, true, true, false],
      rows: rows.filter((r) => r.status === 'ok').map((r) => [short(r.commit), r.benchmark, r.variantSet, r.runtimeProfile, String(r.n), fmtInt(r.mean),
        Number.isFinite(r.ciLow) ? `[${fmtInt(r.ciLow)}, ${fmtInt(r.ciHigh)}]` : fmtCI(NaN, NaN), Number.isFinite(r.aaFloor) ? `±${fmtPct(r.aaFloor)}` : '–',
        fmtRatio(r.change), r.changePoint ? 'yes' : '']) },
  ];
}

/** history.csv, history.svg (+ its Vega-Lite spec), history.md and history.html in OUT. */
export async function writeHistory(out: string, commits: readonly CommitResult[], range: string, argv: readonly string[]): Promise<{ rows: HistoryRow[]; files: string[] }> {
  const rows = historyRows(commits);
  writeAtomic(join(out, 'history.csv'), historyCsv(rows));
  const chart = historyChart(rows, commits);
  const svg = await renderSvg(chart);
  writeAtomic(join(out, 'history.svg'), `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`);
  writeAtomic(join(out, 'history.vl.json'), JSON.stringify(chart.spec, null, 2) + '\n');
  const b = blocks(rows, commits, range, argv);
  writeAtomic(join(out, 'history.md'), toMarkdown(b).replace('](charts/history.svg)', '](history.svg)'));
  writeAtomic(join(out, 'history.html'), toHtml(`k2lab history: ${range}`, b, new Map([['history', svg]])).replace(/charts\/history\.svg/g, 'history.svg'));
  return { rows, files: ['history.csv', 'history.svg', 'history.md', 'history.html'] };
}
