/** The passes in the order one round runs them (constants and copies first make definitions dead for dead-code). */
import type { Pass } from './context.js';
import { atomics } from './atomics.js';
import { constants } from './constants.js';
import { copies } from './copies.js';
import { deadCode, unreachable } from './dead.js';
import { loadMerge } from './load-merge.js';
import { redundantLoads } from './loads.js';
import { peephole } from './peephole.js';
import { storeMerge } from './stores.js';

export const PASSES: readonly Pass[] = [unreachable, constants, redundantLoads, copies, storeMerge, loadMerge, atomics, peephole, deadCode];
