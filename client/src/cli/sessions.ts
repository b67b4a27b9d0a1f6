import type { PaliadinClient } from '../client.js';
import { table, type Output } from './output.js';
import { followHere } from './chat.js';

/** `sessions ls [--all]`: your active sessions, or all of them, newest first. */
export async function listSessions(client: PaliadinClient, out: Output, all: boolean): Promise<number> {
  const list = await client.sessions.list(all ? { status: 'all' } : {});
  out.result(list, () =>
    table(
      ['ID', 'NAME', 'STATUS', 'TURNS', 'CREATED'],
      list.sessions.map((s) => [s.id, s.name, s.status, String(s.turns), s.created_at]),
    ),
  );
  return 0;
}

/** `sessions new`: the new session's id (with --json the whole session, instructions and all). */
export async function newSession(client: PaliadinClient, out: Output, o: { name?: string; expiresIn?: string; workspace?: string }): Promise<number> {
  const session = await client.sessions.create({ name: o.name, expires_in: o.expiresIn, workspace: o.workspace });
  out.result(session, () => session.id);
  return 0;
}

/** `sessions exec <sid> "input"`: a turn in the session, shown (and its requests asked) as `chat` does. */
export async function execInSession(client: PaliadinClient, out: Output, sid: string, input: string): Promise<number> {
  const { turn_id } = await client.sessions.exec(sid, { input });
  return followHere(client, turn_id, out);
}

/** `sessions end <sid>`: checkin; the running turns are cancelled, the agent stopped. */
export async function endSession(client: PaliadinClient, out: Output, sid: string): Promise<number> {
  const ended = await client.sessions.checkin(sid);
  out.result(ended, () => `${ended.session_id} ${ended.status}`);
  return 0;
}
