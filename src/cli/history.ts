/**
 * `k2lab history REV_RANGE [bench flags]`: the same sweep on every commit of a range, each commit
 * in its own cached checkout built once → history.csv, history.svg and history.html with change points.
 */
import { relative, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { repoRoot } from '../common/paths.js';
import { planOptionsOf, withPlanFlags, type PlanArgs } from './bench.js';

interface Args extends PlanArgs { range: string; out?: string; 'cache-dir'?: string; repo?: string }

const displayPath = (p: string): string => { const r = relative(process.cwd(), p); return r === '' ? '.' : r.startsWith('..') ? p : r; };

export const historyCommand: CommandModule<object, Args> = {
  command: 'history <range>',
  describe: 'benchmark every commit of a git range (each built once in its own cached checkout, same sweep and seed) → history.csv, chart, HTML page with change points',
  builder: (y) => withPlanFlags(y)
    .positional('range', { type: 'string', demandOption: true, describe: 'git revision range, e.g. HEAD~3..HEAD (oldest first; see git rev-list)' })
    .option('out', { type: 'string', describe: 'history folder (default results/history-<range>)' })
    .option('cache-dir', { type: 'string', describe: 'checkouts, one per commit, built once and reused (default results/.history-cache)' })
    .option('repo', { type: 'string', describe: 'the git repository whose commits are measured (default: the one this k2lab runs from)' })
    .example('$0 history HEAD~3..HEAD --fast', 'the fast sweep on the last three commits')
    .example('$0 history v1..main --bench xdp1 --reps 5', '') as never,
  handler: async (a) => {
    const { runHistory, benchArgv } = await import('../bench/history.js');
    const { writeHistory } = await import('../bench/history-report.js');
    const bench = planOptionsOf(a);
    const out = resolve(a.out ?? resolve(repoRoot, 'results', `history-${a.range.replace(/[^A-Za-z0-9._-]+/g, '_')}`));
    const commits = runHistory({ range: a.range, bench, out, cacheDir: a['cache-dir'] ?? resolve(repoRoot, 'results', '.history-cache'), ...(a.repo ? { repo: a.repo } : {}) });
    const { rows } = await writeHistory(out, commits, a.range, benchArgv(bench));
    const failed = commits.filter((c) => c.status !== 'ok');
    const points = rows.filter((r) => r.changePoint);
    process.stdout.write(`${commits.length} commit(s): ${commits.length - failed.length} measured, ${failed.length} failed (${failed.map((c) => `${c.commit.slice(0, 8)} ${c.status}`).join(', ') || 'none'}); ${points.length} change point(s)\n`
      + `results: ${displayPath(out)}/ (history.csv, history.svg, history.html, sweeps/)\n`);
    process.exitCode = failed.length ? 1 : 0;
  },
};
