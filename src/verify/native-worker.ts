/**
 * Worker side of NativeZ3: spawns `z3 -in`, writes each command batch followed by an echo of the end
 * marker, collects stdout up to the marker, posts the text back and wakes the waiting thread.
 */
import { spawn } from 'node:child_process';
import { workerData, type MessagePort } from 'node:worker_threads';

const { sab, port, binary, endMark } = workerData as { sab: SharedArrayBuffer; port: MessagePort; binary: string; endMark: string };
const flag = new Int32Array(sab);
const child = spawn(binary, ['-in'], { stdio: ['pipe', 'pipe', 'pipe'] });
let buf = '';
let waiting = false;
let dead: string | undefined;

function reply(ok: boolean, text: string): void {
  port.postMessage({ ok, text });
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

child.stdout.setEncoding('utf8');
child.stdout.on('data', (d: string) => {
  buf += d;
  const at = buf.indexOf(endMark + '\n');
  if (at >= 0 && waiting) {
    const text = buf.slice(0, at);
    buf = buf.slice(at + endMark.length + 1);
    waiting = false;
    reply(true, text);
  }
});
child.stderr.on('data', () => undefined);
child.on('error', (e) => { dead = String(e); if (waiting) { waiting = false; reply(false, dead); } });
child.on('exit', (code) => { dead = `z3 exited (${code})`; if (waiting) { waiting = false; reply(false, dead); } });

port.on('message', (text: string | null) => {
  if (text === null) { child.kill(); port.close(); return; }
  if (dead) { reply(false, dead); return; }
  waiting = true;
  child.stdin.write(`${text}\n(echo "${endMark}")\n`);
});
