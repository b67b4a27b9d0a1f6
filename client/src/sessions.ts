import { resumingEvents, type EventsOptions, type StreamEvent, type StreamShape } from './event-stream.js';
import { SESSION_EVENTS, type SessionEventData } from './generated/events.js';
import { path, type Http } from './http.js';
import type { BodyOf, QueryOf, ResultOf } from './types.js';

/** One event of a session's stream (docs/sessions.md), narrowed by `event`. */
export type SessionEvent = StreamEvent<SessionEventData>;

/** A session event id, `N` or `N.M`, as numbers: `N` comes before its turn's `N.1`. */
function parts(eventId: string): [number, number] {
  const [n, m = '0'] = eventId.split('.');
  return [Number(n), Number(m)];
}

const SESSION_STREAM: StreamShape = {
  names: SESSION_EVENTS,
  compare: (a, b) => {
    const [an, am] = parts(a);
    const [bn, bm] = parts(b);
    return an - bn || am - bm;
  },
  // An ended session's stream replays and closes; a late answer may still come before the close.
  ends: (event, data) => (event === 'session' && (data as { status?: string }).status !== 'active' ? 'on-close' : false),
};

const SCREEN_STREAM: StreamShape = { names: ['screen'], compare: () => 1, ends: () => false, unnumbered: true };

/** The agent's terminal: the data of a `screen` event, and of sessions.screen. */
export type Screen = ResultOf<'/api/sessions/{sid}/screen', 'get'>;

export function sessionsApi(http: Http) {
  return {
    /** Your sessions, newest first (`status` active by default; admins may ask for everyone's or one `user`'s). */
    list: (query: QueryOf<'/api/sessions', 'get'> = {}) => http.json<ResultOf<'/api/sessions', 'get'>>('GET', '/api/sessions', { query }),
    /** A new named session (409 SESSION_EXISTS when you have an active one of that name). */
    create: (body: BodyOf<'/api/sessions', 'post'> = {}) => http.json<ResultOf<'/api/sessions', 'post'>>('POST', '/api/sessions', { body }),
    get: (sid: string) => http.json<ResultOf<'/api/sessions/{sid}', 'get'>>('GET', path`/api/sessions/${sid}`),
    /** A turn in the session: `{turn_id, sse_url, session_id}`; read it with turns.events or turns.answer. */
    exec: (sid: string, body: BodyOf<'/api/sessions/{sid}/exec', 'post'>) =>
      http.json<ResultOf<'/api/sessions/{sid}/exec', 'post'>>('POST', path`/api/sessions/${sid}/exec`, { body }),
    /** Ends the session: its running turns are cancelled, its agent stopped. */
    checkin: (sid: string) => http.json<ResultOf<'/api/sessions/{sid}/checkin', 'post'>>('POST', path`/api/sessions/${sid}/checkin`),
    /** Force-terminates a session (admins). */
    remove: (sid: string) => http.json<ResultOf<'/api/sessions/{sid}', 'delete'>>('DELETE', path`/api/sessions/${sid}`),
    /** The agent's terminal now (pty driver, remote backend). */
    screen: (sid: string) => http.json<ResultOf<'/api/sessions/{sid}/screen', 'get'>>('GET', path`/api/sessions/${sid}/screen`),
    /**
     * The agent's terminal whenever it changed (at most 10 a second), as
     * `screen` events without ids: after a drop it reconnects and goes on
     * with the screen as it is then. Ends when the session ends.
     */
    screenEvents: (sid: string, o: Omit<EventsOptions, 'lastEventId'> = {}): AsyncGenerator<StreamEvent<{ screen: Screen }>, void, undefined> =>
      resumingEvents<{ screen: Screen }>(http, path`/api/sessions/${sid}/screen/stream`, SCREEN_STREAM, o),
    /** The requests the session's turns wait on (`status` open by default). */
    requests: (sid: string, query: QueryOf<'/api/sessions/{sid}/requests', 'get'> = {}) =>
      http.json<ResultOf<'/api/sessions/{sid}/requests', 'get'>>('GET', path`/api/sessions/${sid}/requests`, { query }),
    /**
     * The session's whole life as it happens: `session` (status changes),
     * `turn` (a turn began), then that turn's events with `turn_id`; through
     * any dropped connection, each once; ends when an ended session's stream closes.
     */
    events: (sid: string, o: EventsOptions = {}): AsyncGenerator<SessionEvent, void, undefined> =>
      resumingEvents<SessionEventData>(http, path`/api/sessions/${sid}/events`, SESSION_STREAM, o),
  };
}
