/**
 * `fresh` allocation (K2-like baseline): new safety-state objects, new prepared code and a new
 * interpreter machine (stack, context, packet, map arenas) for every candidate and every test input.
 */
import type { AllocationImpl } from '../../src/search/variants.js';

export const fresh: AllocationImpl = { name: 'fresh', pooled: false };
