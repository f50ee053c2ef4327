/**
 * `fresh` allocation (K2-like baseline): new safety-state objects, new prepared code and a new
 * interpreter machine (stack, context, packet, map arenas) for every candidate and every test input.
 *
 * A mode flag: the code it selects is in src/search/cost.ts and src/safety/checker.ts (see
 * AllocationImpl in src/search/variants.ts for why it lives there).
 */
import type { AllocationImpl } from '../../src/search/variants.js';

export const fresh: AllocationImpl = { name: 'fresh', pooled: false };
