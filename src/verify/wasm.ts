/**
 * z3-solver (Z3 compiled to WebAssembly) driven synchronously: its init is async (once, up front),
 * but the module also exports the plain C entry points, and Z3_eval_smtlib2_string runs on the
 * calling thread without the promise/worker machinery of the high-level API's solver.check().
 */
import { createRequire } from 'node:module';
import type { SmtSession } from './query.js';

interface Emscripten { ccall(name: string, ret: string, args: string[], vals: unknown[]): unknown }
interface LowLevel {
  mk_config(): unknown;
  set_param_value(cfg: unknown, k: string, v: string): void;
  mk_context_rc(cfg: unknown): unknown;
  del_context(ctx: unknown): void;
  del_config(cfg: unknown): void;
}

let loaded: Promise<{ em: Emscripten; Z3: LowLevel }> | undefined;

/** Loads the WebAssembly module once per process. */
export function loadZ3Wasm(): Promise<{ em: Emscripten; Z3: LowLevel }> {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    const mod = require('z3-solver') as { init(): Promise<{ em: Emscripten; Z3: LowLevel }> };
    loaded = mod.init().then((r) => ({ em: r.em, Z3: r.Z3 }));
  }
  return loaded;
}

export const SESSION_PRELUDE = '(set-option :produce-models true)\n(set-option :smt.random_seed 0)\n(set-option :sat.random_seed 0)';

/** One Z3 context with its own SMT-LIB2 command interpreter. */
export class WasmContext implements SmtSession {
  private ctx: unknown;
  private readonly cfg: unknown;

  constructor(private readonly z: { em: Emscripten; Z3: LowLevel }) {
    this.cfg = z.Z3.mk_config();
    z.Z3.set_param_value(this.cfg, 'model', 'true');
    this.ctx = z.Z3.mk_context_rc(this.cfg);
    this.send(SESSION_PRELUDE);
  }

  send(commands: string): string {
    if (this.ctx === undefined) throw new Error('Z3 context already closed');
    return String(this.z.em.ccall('Z3_eval_smtlib2_string', 'string', ['number', 'string'], [this.ctx, commands]));
  }

  close(): void {
    if (this.ctx === undefined) return;
    this.z.Z3.del_context(this.ctx);
    this.z.Z3.del_config(this.cfg);
    this.ctx = undefined;
  }
}
