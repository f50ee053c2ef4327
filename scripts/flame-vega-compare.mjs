#!/usr/bin/env node
// Hand-made flamegraph SVG (src/profile/flame.ts) vs the same flamegraph as a Vega-Lite spec rendered
// by the charts' renderer (src/bench/charts.ts): render time and SVG size on one real CPU profile.
// The Vega-Lite side gets the frames already laid out (x, x2, y, y2: Vega-Lite has no icicle layout),
// rect + text marks, colour by category, a tooltip per frame. Needs `npx tsc -p .` first.
// Usage: node scripts/flame-vega-compare.mjs PROFILE.cpuprofile [REPEATS] [OUTDIR] > out.json
// (OUTDIR: also write both SVGs there, to compare them by eye)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyze } from '../dist/src/profile/analyze.js';
import { readThreads } from '../dist/src/profile/cpuprofile.js';
import { flameSvg } from '../dist/src/profile/flame.js';
import { renderSvg } from '../dist/src/bench/charts.js';

const [file, repeatsArg, outDir] = process.argv.slice(2);
if (!file) { process.stderr.write('usage: flame-vega-compare.mjs PROFILE.cpuprofile [REPEATS]\n'); process.exit(2); }
const repeats = Number(repeatsArg ?? 5);

const WIDTH = 1180, ROW = 16, MIN_PX = 1, MAX_DEPTH = 120; // flame.ts's layout
const a = analyze(readThreads(file));

let treeFrames = 0;
const count = (f) => { treeFrames++; for (const c of f.children.values()) count(c); };
count(a.tree);

/** The frames flame.ts draws, laid out as it lays them out. */
function layout() {
  const rows = [];
  const visit = (f, x, d) => {
    const w = (f.totalMs / a.busyMs) * WIDTH;
    if (w < MIN_PX || d >= MAX_DEPTH) return;
    rows.push({ x, x2: x + w, depth: d, name: d === 0 ? 'all' : f.info.name, category: f.category,
      label: Math.floor((w - 6) / 6.4) >= 3 ? f.info.name.slice(0, Math.floor((w - 6) / 6.4)) : '',
      tip: `${f.info.name.slice(0, 160)} ${f.info.location ?? ''} inclusive ${(100 * f.totalMs / a.busyMs).toFixed(2)}%` });
    let cx = x;
    for (const c of [...f.children.values()].sort((p, q) => (p.info.name < q.info.name ? -1 : p.info.name > q.info.name ? 1 : p.key < q.key ? -1 : 1))) {
      visit(c, cx, d + 1);
      cx += (c.totalMs / a.busyMs) * WIDTH;
    }
  };
  visit(a.tree, 0, 0);
  return rows;
}

function vegaChart(rows) {
  const depth = Math.max(...rows.map((r) => r.depth)) + 1;
  return {
    name: 'flamegraph', title: 'flamegraph',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: WIDTH, height: depth * ROW, data: { values: rows },
      transform: [{ calculate: `${depth} - datum.depth - 1`, as: 'row' }, { calculate: 'datum.row + 0.94', as: 'row2' }],
      encoding: {
        x: { field: 'x', type: 'quantitative', axis: null, scale: { domain: [0, WIDTH] } },
        y: { field: 'row', type: 'quantitative', axis: null, scale: { domain: [0, depth] } },
      },
      layer: [
        { mark: 'rect', encoding: { x2: { field: 'x2' }, y2: { field: 'row2' }, color: { field: 'category', type: 'nominal' }, tooltip: { field: 'tip' } } },
        { mark: { type: 'text', align: 'left', dx: 3, dy: -5, fontSize: 11 }, encoding: { text: { field: 'label' } } },
      ],
    },
  };
}

const median = (xs) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
async function timeIt(fn) {
  const ms = [];
  let out = '';
  for (let i = 0; i < repeats; i++) { const t0 = performance.now(); out = await fn(); ms.push(performance.now() - t0); }
  return { medianMs: Math.round(median(ms)), allMs: ms.map((m) => Math.round(m)), bytes: Buffer.byteLength(out), titles: (out.match(/<title>/g) ?? []).length, svg: out };
}

const hand = await timeIt(async () => flameSvg(a, 'flamegraph'));
const rows = layout();
const vega = await timeIt(async () => renderSvg(vegaChart(rows)));
if (outDir) { writeFileSync(join(outDir, 'hand-made.svg'), hand.svg); writeFileSync(join(outDir, 'vega-lite.svg'), vega.svg); }
delete hand.svg; delete vega.svg;
process.stdout.write(JSON.stringify({ profile: file, samples: a.samples, treeFrames, drawnFrames: rows.length, repeats, handMade: hand, vegaLite: vega,
  ratio: { time: vega.medianMs / hand.medianMs, bytes: vega.bytes / hand.bytes } }, null, 2) + '\n');
