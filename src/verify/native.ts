/**
 * The native `z3` binary kept running as a child (`z3 -in`), spoken to in SMT-LIB2 over a pipe —
 * synchronously: a worker thread owns the child and its pipes; the search thread posts commands and
 * blocks in Atomics.wait until the worker has read the answer up to an echoed end marker.
 */
import { spawnSync } from 'node:child_process';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { SmtSession } from './query.js';
import { SESSION_PRELUDE } from './wasm.js';

export const END_MARK = '@@k2lab-end@@';

/** Whether a native z3 binary is on PATH (and its version line). */
export function nativeZ3Version(binary = 'z3'): string | undefined {
  try {
    const r = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 5000 });
    return r.status === 0 ? r.stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}

export class NativeZ3 implements SmtSession {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag: Int32Array;
  private closed = false;

  constructor(binary = 'z3') {
    const sab = new SharedArrayBuffer(4);
    this.flag = new Int32Array(sab);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL('./native-worker.js', import.meta.url), { workerData: { sab, port: port2, binary, endMark: END_MARK }, transferList: [port2] });
    this.worker.unref();
    this.send(SESSION_PRELUDE);
  }

  send(commands: string): string {
    if (this.closed) throw new Error('native z3 already closed');
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(commands);
    while (Atomics.load(this.flag, 0) === 0) Atomics.wait(this.flag, 0, 0, 60_000);
    const msg = receiveMessageOnPort(this.port);
    if (!msg) throw new Error('native z3: no answer from the worker');
    const m = msg.message as { ok: boolean; text: string };
    if (!m.ok) throw new Error(`native z3: ${m.text}`);
    return m.text;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.postMessage(null);
    this.port.close();
    void this.worker.terminate();
  }
}
