/**
 * Writes every derived file of a result folder from its run records: runs.csv, summary.csv,
 * speedups.csv, charts/*.svg (+ their Vega-Lite specs), report.md and report.html. Used at the end
 * of a sweep, after a resume and by merge; each file is replaced atomically.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, comparisonLabel, rowOfRecord, type Analysis } from './analyze.js';
import { allCharts, renderSvg } from './charts.js';
import { readEnvironment } from './environment.js';
import { nativeReference } from './native.js';
import { planFor, type SweepConfig } from './plan.js';
import { reportBlocks } from './report-blocks.js';
import { toHtml, toMarkdown } from './render.js';
import { readRecords, writeAtomic, writeRunsCsv, type RunRecord } from './store.js';
import { fmtCI, fmtPct, fmtRatio, METHOD, speedupsCsv, summaryCsv } from './tables.js';

export interface Outputs {
  analysis: Analysis;
  records: RunRecord[];
  missing: number;
  files: string[];
}

export async function writeOutputs(dir: string, config: SweepConfig, records?: Map<string, RunRecord>): Promise<Outputs> {
  const recs = records ?? readRecords(dir);
  const list = [...recs.values()].sort((x, y) => x.seq - y.seq);
  const planned = planFor(config);
  const missing = planned.filter((p) => !recs.has(p.key)).length;
  writeRunsCsv(dir, list);
  const analysis = analyze(list.map((r) => rowOfRecord(r as unknown as Parameters<typeof rowOfRecord>[0])), {
    benchmarks: config.benchmarks.map((b) => b.name), variantSets: config.variantSets, runtimeProfiles: config.runtimeProfiles.map((p) => p.name),
  });
  writeAtomic(join(dir, 'summary.csv'), summaryCsv(analysis));
  writeAtomic(join(dir, 'speedups.csv'), speedupsCsv(analysis));
  const native = nativeReference(config.suite, config.benchmarks);
  const charts = allCharts(analysis, native);
  const chartDir = join(dir, 'charts');
  if (existsSync(chartDir)) for (const f of readdirSync(chartDir)) if (/\.(svg|vl\.json)$/.test(f)) rmSync(join(chartDir, f), { force: true });
  const svgs = new Map<string, string>();
  for (const ch of charts) {
    const svg = await renderSvg(ch);
    svgs.set(ch.name, svg);
    writeAtomic(join(chartDir, `${ch.name}.svg`), `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`);
    writeAtomic(join(chartDir, `${ch.name}.vl.json`), JSON.stringify(ch.spec, null, 2) + '\n');
  }
  const blocks = reportBlocks({ dir, config, analysis, native, env: readEnvironment(dir), charts, missing });
  writeAtomic(join(dir, 'report.md'), toMarkdown(blocks));
  writeAtomic(join(dir, 'report.html'), toHtml(`k2lab benchmark report: ${config.runId}`, blocks, svgs));
  return {
    analysis, records: list, missing,
    files: ['runs.csv', 'summary.csv', 'speedups.csv', 'report.md', 'report.html', 'environment.json', ...charts.map((c) => `charts/${c.name}.svg`)],
  };
}

/** The A/A noise floor in one line for the terminal. */
export function floorLine(a: Analysis): string {
  if (!a.aa) return `no A/A pair in this sweep: no noise floor\n`;
  const worst = [...a.aa.rows].sort((x, y) => y.floor - x.floor)[0];
  return `A/A noise floor (${a.aa.variantSet} vs ${a.baseline.variantSet}): geomean ${fmtRatio(a.aa.overall.ratio)} ${fmtCI(a.aa.overall.ciLow, a.aa.overall.ciHigh)}, floor ±${fmtPct(a.aa.overallFloor)}${worst ? `; widest ±${fmtPct(worst.floor)} (${worst.benchmark})` : ''}\n`;
}

/** The study-style table for the terminal: per comparison the mean, geomean (CI), min and max speed-up. */
export function studyTable(a: Analysis): string {
  if (a.comparisons.length === 0) return `no comparison (needs ${a.baseline.variantSet} and another variant set or profile with successful runs)\n`;
  const head = ['comparison', 'benchmarks', 'mean', 'geomean', `95% CI (${METHOD.split(',')[0]})`, 'min', 'max'];
  const rows = a.comparisons.map((c) => [comparisonLabel(c.variantSet, c.runtimeProfile, a.baseline.runtimeProfile), String(c.benchmarks), fmtRatio(c.mean.ratio),
    fmtRatio(c.geomean.ratio), fmtCI(c.geomean.ciLow, c.geomean.ciHigh), c.min ? `${fmtRatio(c.min.ratio)} ${c.min.benchmark}` : '–', c.max ? `${fmtRatio(c.max.ratio)} ${c.max.benchmark}` : '–']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [`speed-up over ${a.baseline.variantSet} (candidates/s):`, line(head), ...rows.map(line)].join('\n') + '\n';
}
