import type { Logger } from '@nestjs/common';
import { Observable, type Subscriber } from 'rxjs';
import type { BackendEvent, BackendTurnRequest } from '../backend.interface.js';
import { handOver } from '../backend.interface.js';
import type { SerialQueue } from '../serial-queue.js';
import type { AgentPool, AgentStart, PooledAgent } from './agent-pool.js';
import type { ConversationRecords, Conversing } from './conversation-records.js';
import { AgentStartError } from './local-agent-host.js';

/** A long-lived agent process that keeps its conversation (stream-json, ACP). */
export type WarmAgent = PooledAgent & Conversing & { readonly turns: number };

/** What a warm-agent driver lends the turn: its agents, their conversations, its per-session queue. */
export interface WarmTurnDeps<A extends WarmAgent> {
  pool: AgentPool<A, AgentStart>;
  conversations: ConversationRecords;
  turns: SerialQueue;
  thinkingIntervalMs: number;
  logger: Logger;
}

/**
 * One turn of a driver with warm agents (stream-json, ACP), up to the
 * driver's own conversation: the session's turns one at a time; heartbeats
 * while the backend is at work before the message is with the agent (the
 * previous turn settling, the process starting; the silence watch is for an
 * agent that has the message); the session's agent, restarted when its
 * conversation moved on elsewhere (another instance had a turn of it, or
 * reset it); `prepare` (the turn's client tools); the hand-over; then
 * `converse`. An agent that cannot start fails the turn with
 * `tmux_unavailable`; unsubscribing (cancel, shutdown, silence, the ceiling)
 * aborts `converse`'s signal.
 */
export function warmAgentTurn<A extends WarmAgent>(
  deps: WarmTurnDeps<A>,
  req: BackendTurnRequest,
  converse: (agent: A, sub: Subscriber<BackendEvent>, signal: AbortSignal) => Promise<void>,
  prepare?: (agent: A) => Promise<void>,
): Observable<BackendEvent> {
  return new Observable<BackendEvent>((sub) => {
    const abort = new AbortController();
    const startedMs = Date.now();
    const waiting = setInterval(() => sub.next({ type: 'heartbeat', elapsedSeconds: Math.floor((Date.now() - startedMs) / 1000) }), deps.thinkingIntervalMs);
    const sending = () => clearInterval(waiting);
    deps.turns
      .run(req.agentSession, () => turn(deps, req, sub, abort.signal, sending, converse, prepare))
      .catch((e: unknown) => {
        deps.logger.error({ err: e, turnId: req.turnId }, 'local turn failed');
        sub.next({ type: 'error', code: 'upstream_error', message: 'The local agent backend failed' });
      })
      .finally(sending);
    return () => {
      sending();
      abort.abort();
    };
  });
}

async function turn<A extends WarmAgent>(
  deps: WarmTurnDeps<A>,
  req: BackendTurnRequest,
  sub: Subscriber<BackendEvent>,
  signal: AbortSignal,
  sending: () => void,
  converse: (agent: A, sub: Subscriber<BackendEvent>, signal: AbortSignal) => Promise<void>,
  prepare?: (agent: A) => Promise<void>,
): Promise<void> {
  if (signal.aborted) return;
  const { pool, conversations, logger } = deps;
  try {
    let agent: A;
    const how: AgentStart = { workspace: req.workspace, rules: req.rules };
    try {
      agent = await pool.acquire(req.agentSession, signal, how);
      if (agent.turns > 0 && (await conversations.isBehind(agent))) {
        // This process's memory of the conversation is old: a new one resumes it as it now stands.
        logger.log(`the conversation of ${req.agentSession} moved on elsewhere; restarting its agent`);
        await pool.close(req.agentSession);
        agent = await pool.acquire(req.agentSession, signal, how);
      }
      await prepare?.(agent);
    } catch (e) {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the turn may be aborted while we awaited
      if (signal.aborted) return;
      if (e instanceof AgentStartError) {
        sub.next({ type: 'error', code: 'tmux_unavailable', message: e.message });
        return;
      }
      throw e;
    }
    if (!(await handOver(req))) return;
    sending();
    await converse(agent, sub, signal);
  } finally {
    pool.release(req.agentSession);
  }
}
