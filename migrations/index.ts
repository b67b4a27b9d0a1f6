import { Init1763740800000 } from './1763740800000-Init.js';
import { EventBatches1764000000000 } from './1764000000000-EventBatches.js';
import { AgentSessionQueue1764100000000 } from './1764100000000-AgentSessionQueue.js';
import { Sessions1764200000000 } from './1764200000000-Sessions.js';
import { AgentConversations1764300000000 } from './1764300000000-AgentConversations.js';
import { EventDataUncompressed1764400000000 } from './1764400000000-EventDataUncompressed.js';
import { Requests1764500000000 } from './1764500000000-Requests.js';
import { TurnHandover1764600000000 } from './1764600000000-TurnHandover.js';
import { TurnAdmission1764700000000 } from './1764700000000-TurnAdmission.js';
import { UnansweredTurnsIndex1764800000000 } from './1764800000000-UnansweredTurnsIndex.js';
import { UnfinishedTurnsByUser1764900000000 } from './1764900000000-UnfinishedTurnsByUser.js';
import { Webhooks1765000000000 } from './1765000000000-Webhooks.js';
import { EventsCascadeByTrigger1765100000000 } from './1765100000000-EventsCascadeByTrigger.js';
import { TurnOutboxCheckFirst1765200000000 } from './1765200000000-TurnOutboxCheckFirst.js';
import { QueueWakeAcrossInstances1765300000000 } from './1765300000000-QueueWakeAcrossInstances.js';
import { QueueWakeNextTurn1765400000000 } from './1765400000000-QueueWakeNextTurn.js';
import { HeartbeatInPlace1765500000000 } from './1765500000000-HeartbeatInPlace.js';
import { UnfinishedTurnsByUserOnly1765600000000 } from './1765600000000-UnfinishedTurnsByUserOnly.js';
import { UnfinishedTurnsBySession1765700000000 } from './1765700000000-UnfinishedTurnsBySession.js';
import { ActiveSessionsByAgentSession1765800000000 } from './1765800000000-ActiveSessionsByAgentSession.js';
import { AgentTags1765900000000 } from './1765900000000-AgentTags.js';
import { RequestsBySession1766000000000 } from './1766000000000-RequestsBySession.js';

/**
 * Every migration, in order. Listed explicitly rather than globbed so the same
 * list works compiled, under ts-jest, and from the CLI. Files are never edited
 * after they land; a change is a new file added here.
 */
export const MIGRATIONS = [
  Init1763740800000,
  EventBatches1764000000000,
  AgentSessionQueue1764100000000,
  Sessions1764200000000,
  AgentConversations1764300000000,
  EventDataUncompressed1764400000000,
  Requests1764500000000,
  TurnHandover1764600000000,
  TurnAdmission1764700000000,
  UnansweredTurnsIndex1764800000000,
  UnfinishedTurnsByUser1764900000000,
  Webhooks1765000000000,
  EventsCascadeByTrigger1765100000000,
  TurnOutboxCheckFirst1765200000000,
  QueueWakeAcrossInstances1765300000000,
  QueueWakeNextTurn1765400000000,
  HeartbeatInPlace1765500000000,
  UnfinishedTurnsByUserOnly1765600000000,
  UnfinishedTurnsBySession1765700000000,
  ActiveSessionsByAgentSession1765800000000,
  AgentTags1765900000000,
  RequestsBySession1766000000000,
];
