/** An agent session's conversation as stored: the agent's own id for it, and a version. */
export interface StoredConversation {
  /** Claude Code's session id (what `--resume` takes). */
  id: string;
  /** Changes whenever any instance records a turn of it or clears it: a warm agent holding an older one is behind. */
  version: string;
}

/**
 * Where the local backend keeps each agent session's own conversation id
 * (stream-json driver), so that after a restart, or on another instance,
 * the conversation is resumed rather than started over. A port the local
 * backend declares; backends/ binds it to Postgres.
 */
export interface AgentSessionStore {
  get(agentSession: string): Promise<StoredConversation | undefined>;
  /** Records a turn of the conversation `id`; returns the new version. */
  set(agentSession: string, id: string): Promise<string>;
  /** Forgets the conversation: the next turn starts a fresh one (reset). */
  clear(agentSession: string): Promise<void>;
}
