/**
 * `native-process`: the native `z3` binary (Debian package `z3`) kept running as a child process,
 * spoken to in SMT-LIB2 over a pipe (as K2's z3server), one push/pop scope per query; answers are
 * awaited synchronously (see src/verify/native.ts), and a query's pops travel with the next one.
 */
import { InputError } from '../../src/ebpf/errors.js';
import type { Z3Impl } from '../../src/verify/checker.js';
import { NativeZ3, nativeZ3Version } from '../../src/verify/native.js';

export async function nativeProcess(binary = 'z3'): Promise<Z3Impl> {
  if (!nativeZ3Version(binary)) throw new InputError(`native z3 not found ('${binary} --version' failed): install the Debian package z3, or use another z3 implementation`);
  let z3 = new NativeZ3(binary);
  return {
    name: 'native-process',
    open: () => z3,
    release: (s, depth) => {
      if (depth < 0) { z3.close(); z3 = new NativeZ3(binary); return; }
      if (depth > 0) z3.queue(`(pop ${depth})`); // sent with the next query: one round trip fewer
    },
    isolated: () => new NativeZ3(binary),
    dispose: () => z3.close(),
  };
}
