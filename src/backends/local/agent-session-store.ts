/**
 * Where the local backend keeps each agent session's own conversation id
 * (Claude Code's session id, stream-json driver), so that after a restart,
 * or on another instance, the conversation is resumed rather than started
 * over. A port the local backend declares; backends/ binds it to Postgres.
 */
export interface AgentSessionStore {
  get(agentSession: string): Promise<string | undefined>;
  set(agentSession: string, agentSessionId: string): Promise<void>;
  /** Forgets the conversation: the next turn starts a fresh one (reset). */
  clear(agentSession: string): Promise<void>;
}

/** For a backend with nowhere to keep ids (tests of the driver alone): every conversation lives as long as its process. */
export const NO_AGENT_SESSION_STORE: AgentSessionStore = {
  get: () => Promise.resolve(undefined),
  set: () => Promise.resolve(),
  clear: () => Promise.resolve(),
};
