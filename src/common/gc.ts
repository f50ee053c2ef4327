/**
 * Garbage-collection time of this thread, for the RunReport's gcMs: a PerformanceObserver on V8's
 * gc entries, started before the search and read after it.
 */
import { PerformanceObserver } from 'node:perf_hooks';

export interface GcClock {
  /** Stops observing and resolves to the milliseconds of GC seen since the start. */
  stop(): Promise<number>;
}

export function startGcClock(): GcClock {
  let gcMs = 0;
  const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcMs += e.duration; });
  obs.observe({ entryTypes: ['gc'] });
  return {
    async stop(): Promise<number> {
      // The search is synchronous: V8 delivers the queued GC entries only once the event loop turns.
      await new Promise((r) => setTimeout(r, 20));
      obs.disconnect();
      return gcMs;
    },
  };
}
