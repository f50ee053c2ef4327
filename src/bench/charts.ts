/**
 * Charts as declarative Vega-Lite specs rendered to SVG in Node (vega-lite compiles, vega renders;
 * no browser): one horizontal bar chart of speed-ups per comparison with CI whiskers, a summary of
 * every comparison's geomean, and candidates/s per benchmark beside K2 native. Specs are kept too.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Analysis, Comparison } from './analyze.js';
import type { NativeReference } from './native.js';
import { fmtRatio } from './tables.js';

export interface Chart {
  /** File stem under charts/ (no extension). */
  name: string;
  title: string;
  spec: TopLevelSpec;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const BLUE = '#4c78a8';
const ORANGE = '#f58518';
const nn = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function slug(text: string): string {
  return text.replace(/\s*@\s*/g, '@').replace(/[^A-Za-z0-9._@+=-]+/g, '_');
}

function domainAround(values: number[], textRoom: number): [number, number] {
  const v = values.filter(Number.isFinite);
  const lo = Math.min(1, ...v);
  const hi = Math.max(1, ...v);
  const pad = Math.max((hi - lo) * 0.06, 0.02);
  return [Math.max(0, lo - pad), hi + pad + (hi - lo + pad) * textRoom];
}

const oneRule = (title: string): Record<string, unknown> => ({ mark: { type: 'rule', strokeDash: [4, 3], color: '#555' }, encoding: { x: { datum: 1, title } } });

export function speedupChart(c: Comparison, baselineLabel: string): Chart {
  const values = [
    ...c.rows.map((r) => ({ label: r.benchmark, kind: 'benchmark', ratio: r.ratio, lo: nn(r.ciLow), hi: nn(r.ciHigh), text: fmtRatio(r.ratio) })),
    { label: `geomean (${c.benchmarks})`, kind: 'geomean', ratio: c.geomean.ratio, lo: nn(c.geomean.ciLow), hi: nn(c.geomean.ciHigh), text: fmtRatio(c.geomean.ratio) },
  ];
  const domain = domainAround(values.flatMap((d) => [d.ratio, d.lo ?? NaN, d.hi ?? NaN]), 0.18);
  const x = { type: 'quantitative', scale: { domain, zero: false, nice: false, clamp: true } } as const;
  const title = `${c.label} vs ${baselineLabel}`;
  const spec = {
    $schema: SCHEMA,
    title: { text: title, subtitle: 'speed-up in candidates/s per benchmark; whiskers: 95% CI (percentile bootstrap)', anchor: 'start' },
    width: 520, height: { step: 22 },
    data: { values },
    layer: [
      {
        mark: { type: 'bar', height: { band: 0.7 } },
        encoding: {
          y: { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } },
          x: { field: 'ratio', ...x, title: 'speed-up (×)' }, x2: { datum: 1 },
          color: { field: 'kind', type: 'nominal', scale: { domain: ['benchmark', 'geomean'], range: [BLUE, ORANGE] }, legend: null },
        },
      },
      {
        transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
        mark: { type: 'errorbar', ticks: true, color: '#222' },
        encoding: { y: { field: 'label', type: 'nominal', sort: null, title: null }, x: { field: 'lo', ...x, title: 'speed-up (×)' }, x2: { field: 'hi' } },
      },
      {
        mark: { type: 'text', align: 'left', dx: 5, fontSize: 10 },
        encoding: {
          y: { field: 'label', type: 'nominal', sort: null, title: null },
          x: { field: 'ratio', ...x, title: 'speed-up (×)' }, text: { field: 'text' },
        },
        transform: [{ calculate: 'max(datum.ratio, isValid(datum.hi) ? datum.hi : datum.ratio)', as: 'pos' }],
      },
      oneRule('speed-up (×)'),
    ],
  };
  // The label sits right of the whisker, not on it.
  (spec.layer[2]!.encoding as Record<string, unknown>).x = { field: 'pos', ...x, title: 'speed-up (×)' };
  return { name: `speedup-${slug(c.label)}`, title, spec: spec as unknown as TopLevelSpec };
}

export function summaryChart(a: Analysis, baselineLabel: string): Chart {
  const values = a.comparisons.map((c) => ({
    label: c.label, ratio: c.geomean.ratio, lo: nn(c.geomean.ciLow), hi: nn(c.geomean.ciHigh),
    min: c.min?.ratio ?? null, max: c.max?.ratio ?? null, text: fmtRatio(c.geomean.ratio),
  }));
  const domain = domainAround(values.flatMap((d) => [d.ratio, d.lo ?? NaN, d.hi ?? NaN, d.min ?? NaN, d.max ?? NaN]), 0.18);
  const x = { type: 'quantitative', scale: { domain, zero: false, nice: false, clamp: true }, title: 'geomean speed-up (×)' } as const;
  const y = { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } } as const;
  const title = `Every comparison vs ${baselineLabel}`;
  const spec = {
    $schema: SCHEMA,
    title: { text: title, subtitle: 'geomean speed-up across benchmarks (bar) with 95% CI (whiskers); ◇ min and max benchmark', anchor: 'start' },
    width: 520, height: { step: 26 },
    data: { values },
    layer: [
      { mark: { type: 'bar', height: { band: 0.7 }, color: ORANGE }, encoding: { y, x: { field: 'ratio', ...x }, x2: { datum: 1 } } },
      { transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }], mark: { type: 'errorbar', ticks: true, color: '#222' }, encoding: { y, x: { field: 'lo', ...x }, x2: { field: 'hi' } } },
      { transform: [{ fold: ['min', 'max'], as: ['which', 'value'] }, { filter: 'isValid(datum.value)' }], mark: { type: 'point', shape: 'diamond', filled: false, color: '#333', size: 50 }, encoding: { y, x: { field: 'value', ...x } } },
      { transform: [{ calculate: 'max(datum.ratio, isValid(datum.hi) ? datum.hi : datum.ratio, isValid(datum.max) ? datum.max : datum.ratio)', as: 'pos' }], mark: { type: 'text', align: 'left', dx: 6, fontSize: 10 }, encoding: { y, x: { field: 'pos', ...x }, text: { field: 'text' } } },
      oneRule('geomean speed-up (×)'),
    ],
  };
  return { name: 'summary', title, spec: spec as unknown as TopLevelSpec };
}

export const NATIVE_LABEL = 'K2 native, measured separately';

export function throughputChart(a: Analysis, native: NativeReference | null): Chart {
  const values: { benchmark: string; series: string; mean: number; lo: number | null; hi: number | null }[] = [];
  const seriesOrder: string[] = [];
  for (const b of a.order.benchmarks) {
    for (const s of a.summary.filter((x) => x.benchmark === b && Number.isFinite(x.mean))) {
      const series = s.runtimeProfile === a.baseline.runtimeProfile ? s.variantSet : `${s.variantSet} @ ${s.runtimeProfile}`;
      if (!seriesOrder.includes(series)) seriesOrder.push(series);
      values.push({ benchmark: b, series, mean: s.mean, lo: nn(s.ciLow), hi: nn(s.ciHigh) });
    }
    const n = native?.rows.find((r) => r.benchmark === b);
    if (n) values.push({ benchmark: b, series: NATIVE_LABEL, mean: n.wallMean, lo: null, hi: null });
  }
  if (values.some((v) => v.series === NATIVE_LABEL)) seriesOrder.push(NATIVE_LABEL);
  const all = values.flatMap((v) => [v.mean, v.lo ?? NaN, v.hi ?? NaN]).filter((v) => v > 0);
  const domain = [Math.min(...all) / 1.3, Math.max(...all) * 1.3];
  const x = { type: 'quantitative', scale: { type: 'log', domain, nice: false, clamp: true }, title: 'candidates (iterations) per second, log scale' } as const;
  const y = { field: 'benchmark', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } } as const;
  const palette = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac', '#eeca3b'];
  const range = seriesOrder.map((s, i) => (s === NATIVE_LABEL ? '#333333' : palette[i % palette.length]!));
  const color = { field: 'series', type: 'nominal', scale: { domain: seriesOrder, range }, legend: { orient: 'bottom', columns: 2, title: null, labelLimit: 320 } } as const;
  const yOffset = { field: 'series', type: 'nominal', sort: seriesOrder } as const;
  const title = 'Candidates per second per benchmark';
  const spec = {
    $schema: SCHEMA,
    title: { text: title, subtitle: 'mean of the measured runs, whiskers: 95% CI of the mean (Student t)', anchor: 'start' },
    width: 520, height: { step: Math.max(8, Math.min(14, Math.floor(56 / Math.max(1, seriesOrder.length)))) },
    data: { values },
    layer: [
      { mark: { type: 'bar' }, encoding: { y, yOffset, x: { field: 'mean', ...x }, color } },
      { transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi) && datum.lo > 0' }], mark: { type: 'errorbar', ticks: false, color: '#222' }, encoding: { y, yOffset, x: { field: 'lo', ...x }, x2: { field: 'hi' } } },
    ],
  };
  return { name: 'throughput', title, spec: spec as unknown as TopLevelSpec };
}

export function allCharts(a: Analysis, native: NativeReference | null): Chart[] {
  const base = a.baseline.variantSet;
  const out: Chart[] = [];
  if (a.comparisons.length) out.push(summaryChart(a, base));
  for (const c of a.comparisons) out.push(speedupChart(c, base));
  if (a.summary.some((s) => Number.isFinite(s.mean))) out.push(throughputChart(a, native));
  return out;
}

/** Vega-Lite → Vega → SVG text; element ids prefixed with the chart name so SVGs can share a page. */
export async function renderSvg(chart: Chart): Promise<string> {
  const vg = compile(chart.spec).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none', logLevel: vega.Warn });
  const svg = await view.toSVG();
  view.finalize();
  const prefix = `${slug(chart.name)}-`;
  return svg
    .replace(/\bid="([^"]+)"/g, (_m, id: string) => `id="${prefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${prefix}${id})`)
    .replace(/href="#([^"]+)"/g, (_m, id: string) => `href="#${prefix}${id}"`)
    .replace('<svg ', `<svg role="img" aria-label="${chart.title.replace(/[<>&"]/g, '')}" data-chart="${chart.name}" `);
}
