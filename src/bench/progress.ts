/**
 * Sweep progress on stderr: on a terminal, one redrawn bar with runs done, the run in flight,
 * elapsed time and an ETA (from the durations of finished runs of the same benchmark, else per
 * iteration); elsewhere (logs, CI, batch jobs) one plain line per finished run.
 */
import type { RunSpec } from './plan.js';
import type { RunRecord } from './store.js';

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** Estimated duration of the remaining runs, in ms (NaN before any run finished). */
export function estimateRemaining(remaining: readonly RunSpec[], finished: readonly RunRecord[], jobs: number): number {
  const byBench = new Map<string, number[]>();
  let msPerIter = 0;
  let counted = 0;
  for (const r of finished) {
    if (r.status !== 'ok') continue;
    const l = byBench.get(r.benchmark) ?? [];
    l.push(r.processMs);
    byBench.set(r.benchmark, l);
    msPerIter += r.processMs / r.iterations;
    counted++;
  }
  if (counted === 0) return NaN;
  msPerIter /= counted;
  let total = 0;
  for (const s of remaining) {
    const l = byBench.get(s.benchmark);
    total += l ? l.reduce((a, b) => a + b, 0) / l.length : msPerIter * s.iterations;
  }
  return total / Math.max(1, jobs);
}

export class Progress {
  private readonly t0 = performance.now();
  private readonly finished: RunRecord[] = [];
  private readonly running = new Map<string, RunSpec>();
  private failed = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly pending: RunSpec[], private readonly total: number, private readonly alreadyDone: number,
    private readonly jobs: number, private readonly tty = process.stderr.isTTY === true) {
    if (this.tty) { this.timer = setInterval(() => this.draw(), 1000); this.timer.unref(); }
  }

  started(spec: RunSpec): void {
    this.running.set(spec.key, spec);
    if (this.tty) this.draw();
  }

  done(r: RunRecord): void {
    this.running.delete(r.key);
    this.finished.push(r);
    const i = this.pending.findIndex((s) => s.key === r.key);
    if (i >= 0) this.pending.splice(i, 1);
    if (r.status !== 'ok') this.failed++;
    const n = this.alreadyDone + this.finished.length;
    if (this.tty) { this.draw(); return; }
    const what = r.status === 'ok'
      ? `ok ${Math.round(r.report!.candidatesPerSecond).toLocaleString('en-US')} candidates/s`
      : `FAILED: ${r.reason}`;
    process.stderr.write(`k2lab bench: [${n}/${this.total}] ${r.key} ${what} (${(r.processMs / 1000).toFixed(1)} s)\n`);
  }

  private draw(): void {
    const n = this.alreadyDone + this.finished.length;
    const elapsed = performance.now() - this.t0;
    const eta = estimateRemaining([...this.running.values(), ...this.pending.filter((p) => !this.running.has(p.key))], this.finished, this.jobs);
    const cols = process.stderr.columns || 100;
    const width = Math.max(10, Math.min(30, cols - 70));
    const filled = Math.round((n / Math.max(1, this.total)) * width);
    const now = [...this.running.keys()][0] ?? '';
    let line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n}/${this.total}  ${fmtDuration(elapsed)} elapsed  ETA ${fmtDuration(eta)}${this.failed ? `  ${this.failed} failed` : ''}  ${now}`;
    if (line.length > cols - 1) line = line.slice(0, cols - 2) + '…';
    process.stderr.write(`\r${line}\x1b[K`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) { this.draw(); process.stderr.write('\n'); }
  }
}
