/** One entry of GET /chat/conversations/{id}/turns. */
export interface ConversationTurn {
  role: string; // 'user' | 'assistant', or a role aichat adds later
  content: string;
  created_at: string;
}

// Our clock and aichat's may disagree a little; a user entry this much "before" the turn still counts.
const CLOCK_SKEW_MS = 5_000;

/**
 * The assistant entry answering our turn: it follows (before any other user
 * entry) the first user entry that carries our message and was made at or
 * after the turn started. Undefined when aichat has no answer (yet).
 */
export function findAnswer(turns: ConversationTurn[], message: string, startedAt: Date): string | undefined {
  const from = startedAt.getTime() - CLOCK_SKEW_MS;
  for (let i = 0; i < turns.length; i++) {
    const t = turns[i];
    if (t.role !== 'user' || typeof t.content !== 'string' || !t.content.includes(message)) continue;
    const at = Date.parse(t.created_at);
    if (!Number.isFinite(at) || at < from) continue;
    for (let j = i + 1; j < turns.length && turns[j].role !== 'user'; j++) {
      if (turns[j].role === 'assistant' && typeof turns[j].content === 'string' && turns[j].content) return turns[j].content;
    }
    return undefined;
  }
  return undefined;
}
