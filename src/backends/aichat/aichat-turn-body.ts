import { firstAgentTag } from '../../contract/agent-session.js';
import type { BackendTurnRequest } from '../backend.interface.js';

// docs/aichat.md: the primer's size, and how much of a selection travels in meta.
export const PRIMER_EXCHANGES = 6;
export const PRIMER_SIDE_CHARS = 2000;
const SELECTION_CHARS = 1000;

export interface PrimerExchange {
  user: string;
  assistant: string;
}

/** The body of POST /chat/turn and /chat/turn/stream. */
export interface AichatTurnBody {
  persona: string;
  username: string;
  user_id: string;
  session_id?: string;
  message: string;
  jwt?: string;
  primer?: PrimerExchange[];
  meta?: Record<string, string>;
}

/**
 * aichat names the user's window after the local part of the email
 * (`user-<userid8>` when there is none). A named session of the user gets a
 * window of its own: the session's name appended (`<user>-<name>`).
 */
export function aichatUsername(email: string | undefined, userId: string, sessionName?: string): string {
  const at = email?.indexOf('@') ?? -1;
  const user = email && at > 0 ? email.slice(0, at) : `user-${firstAgentTag(userId)}`;
  return sessionName ? `${user}-${sessionName}` : user;
}

/** Where the user was, as aichat's meta map: page_origin, route, entity (type:id), view, filter, selection. */
export function aichatTurnMeta(req: Pick<BackendTurnRequest, 'pageOrigin' | 'context'>): Record<string, string> | undefined {
  const c = req.context ?? {};
  const out: Record<string, string> = {};
  const origin = req.pageOrigin || c.page_origin;
  if (origin) out.page_origin = origin;
  if (c.route_name) out.route = c.route_name;
  if (c.primary_entity_type && c.primary_entity_id) out.entity = `${c.primary_entity_type}:${c.primary_entity_id}`;
  if (c.view_mode) out.view = c.view_mode;
  if (c.filter_summary) out.filter = c.filter_summary;
  if (c.user_selection_text) out.selection = cut(c.user_selection_text, SELECTION_CHARS);
  return Object.keys(out).length ? out : undefined;
}

/** Cuts at a character count (code points, so no half emoji), marking the cut. */
export function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
}
