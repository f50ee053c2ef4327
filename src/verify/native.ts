/**
 * The native `z3` binary kept running as a child (`z3 -in`), spoken to in SMT-LIB2 — synchronously,
 * over two named pipes the search thread itself writes and reads with blocking calls: a round trip
 * is the solver's time plus a few microseconds (a worker thread relaying over a MessagePort and an
 * Atomics.wait cost ~0.3 ms per command batch, as much as a typical window query's solving).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SmtSession } from './query.js';
import { SolverError } from './smtlib.js';
import { SESSION_PRELUDE } from './wasm.js';

export const END_MARK = '@@k2lab-end@@';
const END_LINE = END_MARK + '\n';

/** Whether a native z3 binary is on PATH (and its version line). */
export function nativeZ3Version(binary = 'z3'): string | undefined {
  try {
    const r = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 5000 });
    return r.status === 0 ? r.stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** A blocking call, again when a signal (a profiler's SIGPROF, say) interrupted it. */
function retrying(call: () => number): number {
  for (;;) {
    try {
      return call();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EINTR' && (e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
  }
}

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

export class NativeZ3 implements SmtSession {
  private readonly toZ3: number;
  private readonly fromZ3: number;
  /** The same FIFO opened non-blocking, for sends with a hard wall-clock limit (sendWithin). */
  private readonly pollZ3: number;
  private readonly pid: number | undefined;
  private readonly buf = Buffer.allocUnsafe(1 << 16);
  private pending = '';
  private dead: string | undefined;
  private closed = false;

  constructor(binary = 'z3') {
    const dir = mkdtempSync(join(tmpdir(), 'k2lab-z3-'));
    try {
      const input = join(dir, 'in'), output = join(dir, 'out');
      const mk = spawnSync('mkfifo', [input, output], { encoding: 'utf8' });
      if (mk.status !== 0) throw new Error(`native z3: mkfifo failed: ${(mk.stderr || String(mk.error)).trim()}`);
      // The shell opens the FIFOs in the same order as we do below, so neither side waits forever;
      // if z3 cannot start, the shell exits, its ends close, and the first read sees end-of-file.
      const child = spawn('sh', ['-c', 'exec "$0" -in <"$1" >"$2"', binary, input, output], { stdio: 'ignore' });
      child.on('error', (e) => { this.dead = String(e); });
      child.unref();
      this.pid = child.pid; // sh execs z3: the same process
      this.toZ3 = openSync(input, 'w');
      this.fromZ3 = openSync(output, 'r');
      this.pollZ3 = openSync(output, constants.O_RDONLY | constants.O_NONBLOCK);
    } finally {
      rmSync(dir, { recursive: true, force: true }); // the open FIFOs live on unnamed
    }
    this.send(SESSION_PRELUDE);
  }

  /** Commands with no answer to wait for (a pop): they go out with the next send. */
  queue(commands: string): void {
    this.pending += commands + '\n';
  }

  send(commands: string): string {
    return this.exchange(commands, (buf) => retrying(() => readSync(this.fromZ3, buf, 0, buf.length, null)));
  }

  /**
   * `send` that gives up after `ms` of wall clock: z3 is killed and the answer is a SolverError
   * (unknown; the implementation starts a new z3). Z3's own `:timeout` bounds only parts of a
   * check — whole-program queries of sock_ipv4_flow ran 30–114 s past a 10 s one. The answer is
   * polled (1 ms sleeps once nothing has come for a while), not awaited in a blocking read.
   */
  sendWithin(commands: string, ms: number): string {
    const until = Date.now() + ms;
    return this.exchange(commands, (buf) => {
      for (let idle = 0; ; idle++) {
        try {
          return readSync(this.pollZ3, buf, 0, buf.length, null);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'EAGAIN' && code !== 'EINTR') throw e;
        }
        if (Date.now() > until) {
          if (this.pid !== undefined) { try { process.kill(this.pid, 'SIGKILL'); } catch { /* already gone */ } }
          throw new Error(`query stopped after ${ms} ms (hard limit)`);
        }
        if (idle > 100) Atomics.wait(SLEEPER, 0, 0, 1);
      }
    });
  }

  private exchange(commands: string, read: (buf: Buffer) => number): string {
    if (this.closed) throw new Error('native z3 already closed');
    if (this.dead) throw new SolverError(`native z3: ${this.dead}`);
    const text = `${this.pending}${commands}\n(echo "${END_MARK}")\n`;
    this.pending = '';
    try {
      const bytes = Buffer.from(text, 'latin1');
      for (let off = 0; off < bytes.length;) off += retrying(() => writeSync(this.toZ3, bytes, off));
      let answer = '';
      for (;;) {
        const n = read(this.buf);
        if (n === 0) throw new Error('z3 exited');
        answer += this.buf.toString('latin1', 0, n);
        if (answer.endsWith(END_LINE)) return answer.slice(0, answer.length - END_LINE.length);
      }
    } catch (e) {
      // A killed or crashed child (Ctrl-C reaches it too) is an unknown answer: the implementation
      // closes this session and starts a new z3 for the next query.
      this.dead = (e as Error).message;
      throw new SolverError(`native z3: ${this.dead}`);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // z3 reads end-of-file on its input and exits.
    closeSync(this.toZ3);
    closeSync(this.fromZ3);
    closeSync(this.pollZ3);
  }
}
