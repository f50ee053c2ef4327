/**
 * `pooled` allocation: one interpreter machine, one prepared-code buffer and the safety checker's
 * states allocated once per search and reset in place for every candidate and input — the analogue
 * of the study's allocator swap, in V8 terms less garbage to collect.
 */
import type { AllocationImpl } from '../../src/search/variants.js';

export const pooled: AllocationImpl = { name: 'pooled', pooled: true };
