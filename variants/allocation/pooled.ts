/**
 * `pooled` allocation: one interpreter machine, one prepared-code buffer and the safety checker's
 * states allocated once per search and reset in place for every candidate and input — the analogue
 * of the study's allocator swap, in V8 terms less garbage to collect.
 *
 * A mode flag: the code it selects is in src/search/cost.ts and src/safety/checker.ts (see
 * AllocationImpl in src/search/variants.ts for why it lives there).
 */
import type { AllocationImpl } from '../../src/search/variants.js';

export const pooled: AllocationImpl = { name: 'pooled', pooled: true };
