import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { PaliadinClient } from '../client.js';
import { PaliadinError } from '../errors.js';
import type { Output } from './output.js';
import { askOn } from './prompts.js';
import { followTurn } from './stream.js';

export interface ChatTarget {
  /** A named session (sessions.exec); without one, the user's default agent session (turns.create). */
  session?: string;
  /** The browser session the turns are filed under in history (default-session turns only). */
  browserSession?: string;
}

/** Starts a turn: its id. */
async function start(client: PaliadinClient, message: string, to: ChatTarget): Promise<string> {
  const started = to.session
    ? await client.sessions.exec(to.session, { input: message })
    : await client.turns.create({ user_message: message, session_id: to.browserSession });
  return started.turn_id;
}

/** `paliadin chat "message"`: one turn, shown as it comes; its exit code. */
export async function chatOnce(client: PaliadinClient, message: string, to: ChatTarget, out: Output): Promise<number> {
  return followHere(client, await start(client, message, to), out);
}

/**
 * Shows a turn (followTurn); on a terminal, what the agent asks (a
 * permission, a question) is put to the person there and answered.
 */
export async function followHere(client: PaliadinClient, turnId: string, out: Output): Promise<number> {
  if (!process.stdin.isTTY || out.json) return followTurn(client, turnId, out);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Ctrl-C at a prompt: as anywhere else in `chat "…"`, the CLI ends (the turn runs on).
  rl.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
  try {
    return await followTurn(client, turnId, out, askOn(rl));
  } finally {
    rl.close();
  }
}

/**
 * `paliadin chat`: a turn per line of stdin, all in one browser session so
 * that history shows them together. Reads a terminal (with a `> ` prompt,
 * and Ctrl-C cancelling the running turn) or a pipe alike; ends at EOF: 0
 * when every turn was answered, 1 when one failed.
 */
export async function chatLoop(client: PaliadinClient, to: ChatTarget, out: Output): Promise<number> {
  const target: ChatTarget = { browserSession: randomUUID(), ...to };
  const tty = process.stdin.isTTY;
  // Said on stderr even when piped: it is what finds these turns again (history?session=…).
  out.note(target.session ? `paliadin: session ${target.session}` : `paliadin: browser session ${target.browserSession ?? ''}`);
  // The prompt and the echo go to stderr: stdout stays the answers only.
  const rl = createInterface({ input: process.stdin, output: tty ? process.stderr : undefined, terminal: tty, prompt: '> ' });
  // Fields, not lets: the SIGINT handler changes them between the loop's awaits.
  const state: { running?: string; failed: boolean; interrupted: boolean } = { failed: false, interrupted: false };
  // A terminal's Ctrl-C reaches readline, not the process: cancel the running turn, or leave.
  rl.on('SIGINT', () => {
    const running = state.running;
    if (running === undefined) {
      state.interrupted = true;
      rl.close();
      return;
    }
    out.note('paliadin: cancelling the turn');
    void client.turns.cancel(running).catch((e: unknown) => {
      out.error(e);
    });
  });
  if (tty) rl.prompt();
  for await (const line of rl) {
    const message = line.trim();
    if (message !== '') {
      try {
        state.running = await start(client, message, target);
        // On a terminal, the agent's permissions and questions are asked at the prompt's place.
        if ((await followTurn(client, state.running, out, tty ? askOn(rl) : undefined)) !== 0) state.failed = true;
      } catch (e) {
        // A refused line (a 4xx, the service away) is said and the chat goes on.
        if (!(e instanceof PaliadinError)) throw e;
        out.error(e);
        state.failed = true;
      } finally {
        state.running = undefined;
      }
    }
    if (tty) rl.prompt();
  }
  return state.interrupted ? 130 : state.failed ? 1 : 0;
}
