import { Logger } from '@nestjs/common';
import type { AgentSessionStore, StoredConversation } from './agent-session-store.js';

/** An agent process as far as its conversation goes: the agent session it serves, its own id for it, what it last knew stored. */
export interface Conversing {
  readonly session: string;
  /** The agent's own id for the conversation, once it has one. */
  readonly conversationId: string | undefined;
  stored?: StoredConversation;
}

/**
 * The conversations of one local driver's agents in the store (stream-json,
 * ACP): read when an agent starts, recorded as turns happen, one write at a
 * time per agent, and compared, so that an agent whose conversation moved
 * on elsewhere (another instance had a turn of it) is restarted to resume
 * it as it now stands. A store that fails is logged and never fails a turn.
 */
export class ConversationRecords {
  private readonly logger = new Logger('LocalBackend');
  private readonly writing = new WeakMap<Conversing, Promise<void>>();

  constructor(private readonly store: AgentSessionStore) {}

  /** The stored conversation to resume, if any; a store that cannot be read: none (a new conversation). */
  async stored(session: string): Promise<StoredConversation | undefined> {
    return this.store.get(session).catch((e: unknown) => {
      this.logger.error({ err: e, session }, 'could not read the stored agent session id; starting a new conversation');
      return undefined;
    });
  }

  /** Whether the stored conversation changed since the agent last recorded it. A store that cannot be read: assume not. */
  async isBehind(agent: Conversing): Promise<boolean> {
    try {
      return (await this.store.get(agent.session))?.version !== agent.stored?.version;
    } catch (e) {
      this.logger.error({ err: e, session: agent.session }, 'could not read the stored agent session id');
      return false;
    }
  }

  /** Records the agent's conversation as having had a turn here (its id, a new version). Never rejects. */
  record(agent: Conversing): Promise<void> {
    const write = async () => {
      const id = agent.conversationId;
      if (!id) return;
      try {
        agent.stored = { id, version: await this.store.set(agent.session, id) };
      } catch (e) {
        this.logger.error({ err: e, session: agent.session }, 'could not store the agent session id');
      }
    };
    const next = (this.writing.get(agent) ?? Promise.resolve()).then(write);
    this.writing.set(agent, next);
    return next;
  }

  /** Forgets the session's conversation (reset, or a conversation the agent no longer has). */
  clear(session: string): Promise<void> {
    return this.store.clear(session);
  }
}
