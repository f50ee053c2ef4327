/**
 * Runtime profiles: named sets of Node/V8 flags applied to a whole child process — our analogue
 * of the published study's allocator swap and PGO/LTO rebuild: zero code change. A profile is
 * applied at process start (flags cannot change later), so runners pass them to `node` itself.
 */
export const RUNTIME_PROFILES: Readonly<Record<string, readonly string[]>> = {
  /** Node's defaults. */
  default: [],
  /** A larger young generation: fewer scavenges for the short-lived per-candidate garbage. */
  'semi-space-64': ['--max-semi-space-size=64'],
  /** A very large young generation. */
  'semi-space-256': ['--max-semi-space-size=256'],
  /** GC work on the main thread only: removes helper-thread noise on a 2-core machine. */
  'single-threaded-gc': ['--single-threaded-gc'],
  /** Optimizing compiler off — a sanity floor showing how much TurboFan contributes. */
  'no-opt': ['--no-opt'],
};

export function runtimeProfileFlags(name: string): readonly string[] | undefined {
  return Object.hasOwn(RUNTIME_PROFILES, name) ? RUNTIME_PROFILES[name] : undefined;
}
