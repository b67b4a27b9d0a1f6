// Generated from the service's OpenAPI document by scripts/generate-types.mjs: do not edit.

import type { components } from './openapi.js';

/** The data of each event of /api/paliadin/stream/{id}, by event name. */
export interface TurnEventData {
  client_tool: components['schemas']['ClientToolEventData'];
  content: components['schemas']['ContentEventData'];
  end: components['schemas']['EndEventData'];
  error: components['schemas']['ErrorEventData'];
  meta: components['schemas']['MetaEventData'];
  permission: components['schemas']['PermissionEventData'];
  plan: components['schemas']['PlanEventData'];
  question: components['schemas']['QuestionEventData'];
  resolved: components['schemas']['ResolvedEventData'];
  thinking: components['schemas']['ThinkingEventData'];
  thought: components['schemas']['ThoughtEventData'];
  tool: components['schemas']['ToolEventData'];
}

/** The event names of /api/paliadin/stream/{id}, at run time. */
export const TURN_EVENTS = ['client_tool', 'content', 'end', 'error', 'meta', 'permission', 'plan', 'question', 'resolved', 'thinking', 'thought', 'tool'] as const;

/** The data of each event of /api/sessions/{sid}/events, by event name. */
export interface SessionEventData {
  client_tool: components['schemas']['ClientToolEventData'] & components['schemas']['SessionTurnRef'];
  content: components['schemas']['ContentEventData'] & components['schemas']['SessionTurnRef'];
  end: components['schemas']['EndEventData'] & components['schemas']['SessionTurnRef'];
  error: components['schemas']['ErrorEventData'] & components['schemas']['SessionTurnRef'];
  permission: components['schemas']['PermissionEventData'] & components['schemas']['SessionTurnRef'];
  plan: components['schemas']['PlanEventData'] & components['schemas']['SessionTurnRef'];
  question: components['schemas']['QuestionEventData'] & components['schemas']['SessionTurnRef'];
  resolved: components['schemas']['ResolvedEventData'] & components['schemas']['SessionTurnRef'];
  session: components['schemas']['SessionStatusEventData'];
  thinking: components['schemas']['ThinkingEventData'] & components['schemas']['SessionTurnRef'];
  thought: components['schemas']['ThoughtEventData'] & components['schemas']['SessionTurnRef'];
  tool: components['schemas']['ToolEventData'] & components['schemas']['SessionTurnRef'];
  turn: components['schemas']['SessionTurnEventData'];
}

/** The event names of /api/sessions/{sid}/events, at run time. */
export const SESSION_EVENTS = ['client_tool', 'content', 'end', 'error', 'permission', 'plan', 'question', 'resolved', 'session', 'thinking', 'thought', 'tool', 'turn'] as const;
