/**
 * `k2lab profile --diff A B`: which functions gained or lost share of the sampled time between two
 * profiles (functions matched by name and source location), sorted by the change, with the
 * where-the-time-goes categories side by side; markdown, plus the differential flamegraph.
 */
import { mainCategory, pct, type Analysis, type FunctionStats } from './analyze.js';
import { CATEGORIES, CATEGORY_LABEL, type FunctionInfo } from './frames.js';
import { mdName } from './top-functions.js';

export interface FunctionChange {
  key: string;
  info: FunctionInfo;
  category: string;
  selfA: number;
  selfB: number;
  inclA: number;
  inclB: number;
  /** Change of self share, percentage points (B − A). */
  delta: number;
  msA: number;
  msB: number;
  /** Whether the function appears in each profile at all (on any stack). */
  inA: boolean;
  inB: boolean;
}

export function functionChanges(A: Analysis, B: Analysis): FunctionChange[] {
  const keys = new Set([...A.functions.keys(), ...B.functions.keys()]);
  const out: FunctionChange[] = [];
  for (const key of keys) {
    const fa: FunctionStats | undefined = A.functions.get(key);
    const fb: FunctionStats | undefined = B.functions.get(key);
    const any = (fb ?? fa)!;
    const selfA = fa ? pct(fa.selfMs, A.busyMs) : 0;
    const selfB = fb ? pct(fb.selfMs, B.busyMs) : 0;
    out.push({
      key, info: any.info, category: mainCategory(any), selfA, selfB,
      inclA: fa ? pct(fa.totalMs, A.busyMs) : 0, inclB: fb ? pct(fb.totalMs, B.busyMs) : 0,
      delta: selfB - selfA, msA: fa?.selfMs ?? 0, msB: fb?.selfMs ?? 0, inA: fa !== undefined, inB: fb !== undefined,
    });
  }
  // Largest gain first; ties (e.g. unchanged functions) by name for stable output.
  return out.sort((x, y) => y.delta - x.delta || x.key.localeCompare(y.key));
}

const sign = (x: number): string => `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x).toFixed(2)}`;
const f1 = (x: number): string => x.toFixed(1);

export interface DiffContext {
  labelA: string;
  labelB: string;
  /** Paths shown in the header. */
  pathA: string;
  pathB: string;
  notes?: string[];
}

export function diffMd(A: Analysis, B: Analysis, ctx: DiffContext, topN = 20): string {
  const changes = functionChanges(A, B);
  const gained = changes.filter((c) => c.delta > 0.005).slice(0, topN);
  const lost = changes.filter((c) => c.delta < -0.005).reverse().slice(0, topN);
  const out = [
    `# Profile diff — A: ${ctx.labelA} → B: ${ctx.labelB}`, '',
    `A: \`${ctx.pathA}\` — ${f1(A.busyMs)} ms sampled  `,
    `B: \`${ctx.pathB}\` — ${f1(B.busyMs)} ms sampled (B/A = ${A.busyMs > 0 ? (B.busyMs / A.busyMs).toFixed(2) : '—'})  `,
    ...(ctx.notes ?? []).map((n) => `${n}  `),
    'Shares are of each profile\'s own sampled (non-idle) time; "pts" are percentage points of share (B − A).',
    'When B removes a hot spot, everything else gains share: read the ms columns too (the same iterations in',
    'both runs — the determinism contract — make them comparable).', '',
    '## Where the time goes', '',
    '| category | A % | B % | change (pts) | A ms | B ms |', '|---|---:|---:|---:|---:|---:|',
    ...CATEGORIES.map((c) => {
      const a = pct(A.categories[c], A.busyMs);
      const b = pct(B.categories[c], B.busyMs);
      return `| ${CATEGORY_LABEL[c]} | ${f1(a)} | ${f1(b)} | ${sign(b - a)} | ${f1(A.categories[c])} | ${f1(B.categories[c])} |`;
    }),
    '',
    ...table(`## Functions that gained share (top ${gained.length})`, gained),
    ...table(`## Functions that lost share (top ${lost.length})`, lost),
  ];
  return out.join('\n') + '\n';
}

function table(title: string, rows: FunctionChange[]): string[] {
  if (rows.length === 0) return [title, '', '(none)', ''];
  return [
    title, '',
    '| function | source | self A % | self B % | change (pts) | incl. A % | incl. B % | self A ms | self B ms | category |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((c) => {
      const note = !c.inA ? ' (only in B)' : !c.inB ? ' (only in A)' : '';
      return `| ${mdName(c.info.name, 60)}${note} | ${c.info.location.replace(/\|/g, '\\|')} | ${c.selfA.toFixed(2)} | ${c.selfB.toFixed(2)} | ${sign(c.delta)} | ${f1(c.inclA)} | ${f1(c.inclB)} | ${f1(c.msA)} | ${f1(c.msB)} | ${c.category} |`;
    }),
    '',
  ];
}
