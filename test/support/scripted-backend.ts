import { Observable } from 'rxjs';
import {
  handOver,
  type BackendEvent,
  type BackendHealth,
  type BackendTurnRequest,
  type LateAnswer,
  type LateAnswers,
  type PaliadinBackend,
  type UnansweredTurn,
} from '../../src/backends/backend.interface.js';

/** One step of a timeline: wait for `after` (when given), then `delay` ms, then emit, complete, or throw. */
export type Step = { delay?: number; after?: Promise<unknown> } & ({ event: BackendEvent } | { complete: true } | { throw: string } | { burst: string[] });

/**
 * The test driver of the turn pipeline: a real PaliadinBackend that replays
 * a scripted timeline per turn, and records what it was asked and whether
 * the pipeline cancelled its work.
 */
export class ScriptedBackend implements PaliadinBackend {
  kind = 'scripted';
  mode: 'oneshot' | 'streaming' = 'streaming';
  script: (req: BackendTurnRequest) => Step[] = () => [{ event: { type: 'done', response: 'ok' } }];
  readonly started: BackendTurnRequest[] = [];
  readonly cancelled = new Set<string>();
  readonly resets: string[] = [];
  healthState: BackendHealth = { status: 'up' };
  resetFails = false;
  /** How long a turn takes to reach its hand-over, like an agent that is still starting. */
  handOverDelayMs = 0;
  /** Answers that "arrive" after their turn ended, by turn id: what the janitor and /recover find. */
  readonly late = new Map<string, string>();
  readonly lateAnswers: LateAnswers = {
    codes: ['timeout', 'upstream_error', 'upstream_silence', 'interrupted'],
    windowMs: 600_000,
    find: (t: UnansweredTurn): Promise<LateAnswer> => {
      const response = this.late.get(t.turnId);
      return Promise.resolve(response === undefined ? { status: 'none' } : { status: 'found', response });
    },
  };

  runTurn(req: BackendTurnRequest): Observable<BackendEvent> {
    return new Observable<BackendEvent>((sub) => {
      this.started.push(req);
      const steps = this.script(req);
      let timer: NodeJS.Timeout | undefined;
      let over = false;
      const next = (i: number, waited = false) => {
        // Closed: the pipeline unsubscribed (the turn ended) while a step waited for its `after`.
        if (i >= steps.length || sub.closed) return;
        const step = steps[i];
        if (step.after && !waited) {
          void step.after.then(
            () => next(i, true),
            () => next(i, true),
          );
          return;
        }
        timer = setTimeout(() => {
          if ('throw' in step) {
            over = true;
            sub.error(new Error(step.throw));
            return;
          }
          if ('complete' in step) {
            over = true;
            sub.complete();
            return;
          }
          if ('burst' in step) {
            for (const text of step.burst) sub.next({ type: 'chunk', text });
          } else {
            const last = step.event.type === 'done' || step.event.type === 'error';
            // Set first: the pipeline unsubscribes while handling the final event.
            if (last) over = true;
            sub.next(step.event);
            if (last) {
              sub.complete();
              return;
            }
          }
          next(i + 1);
        }, step.delay ?? 0);
      };
      // Like a real backend, it records that the turn goes out before anything comes back.
      const goOut = () => void handOver(req).then((ok) => ok && next(0));
      let start: NodeJS.Timeout | undefined;
      if (this.handOverDelayMs > 0) start = setTimeout(goOut, this.handOverDelayMs);
      else goOut();
      return () => {
        clearTimeout(start);
        clearTimeout(timer);
        if (!over) this.cancelled.add(req.turnId);
      };
    });
  }

  reset(user: { agentSession: string }): Promise<void> {
    if (this.resetFails) return Promise.reject(new Error('reset exploded: internal detail'));
    this.resets.push(user.agentSession);
    return Promise.resolve();
  }

  health(): Promise<BackendHealth> {
    return Promise.resolve(this.healthState);
  }
}

/** Heartbeats every `every` ms, forever (until cancelled). */
export function heartbeatsForever(every: number, count = 100_000): Step[] {
  return Array.from({ length: count }, (_, i) => ({ delay: every, event: { type: 'heartbeat', elapsedSeconds: i + 1 } }));
}
