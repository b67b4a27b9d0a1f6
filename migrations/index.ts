import { Init1763740800000 } from './1763740800000-Init.js';
import { EventBatches1764000000000 } from './1764000000000-EventBatches.js';
import { AgentSessionQueue1764100000000 } from './1764100000000-AgentSessionQueue.js';
import { AgentSessionIds1764300000000 } from './1764300000000-AgentSessionIds.js';

/**
 * Every migration, in order. Listed explicitly rather than globbed so the same
 * list works compiled, under ts-jest, and from the CLI. Files are never edited
 * after they land; a change is a new file added here.
 */
export const MIGRATIONS = [Init1763740800000, EventBatches1764000000000, AgentSessionQueue1764100000000, AgentSessionIds1764300000000];
