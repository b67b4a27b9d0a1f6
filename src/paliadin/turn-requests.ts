import type { RequestKind, RequestOutcome, ResolvedBy } from '../contract/requests.js';

/** A request as its run stores it: the row goes in before its event is shown. */
export interface NewRequest {
  requestId: string;
  turnId: string;
  /** The turn's agent session row (its grants), when it has one. */
  sessionRef: string | null;
  userId: string;
  kind: RequestKind;
  /** The event's data, less `request_id` and `expires_at`. */
  data: Record<string, unknown>;
  grantRule?: string;
  /** From the app's clock, as `expiresAt` is: the row says the timeout it was given, to the millisecond. */
  createdAt: Date;
  expiresAt: Date;
}

/** How a request was resolved, as stored. */
export interface StoredResolution {
  by: ResolvedBy;
  outcome: RequestOutcome;
  answer?: unknown;
  at: Date;
}

/**
 * Where a running turn keeps its requests and hears their answers: a port
 * the turn path declares and the requests module implements (rows in
 * Postgres, answers from any instance by NOTIFY), so the turn path never
 * imports that module. Optional: an app without it offers no requests.
 */
export interface TurnRequests {
  open(r: NewRequest): Promise<void>;
  /** Resolves with the request's resolution once it has one, whoever gave it; `signal` stops the wait (it then never settles). */
  resolution(requestId: string, signal: AbortSignal): Promise<StoredResolution>;
  /** Resolves the request unless it already is; returns what is stored: ours, or the resolution that came first. */
  resolve(requestId: string, by: ResolvedBy, outcome: RequestOutcome, answer?: unknown): Promise<StoredResolution>;
  /** The rules granted with `allow_always` on the agent session. */
  grants(sessionRef: string): Promise<string[]>;
}

export const TURN_REQUESTS = Symbol('TURN_REQUESTS');
