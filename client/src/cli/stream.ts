import type { PaliadinClient } from '../client.js';
import { PaliadinError } from '../errors.js';
import type { TurnEventData } from '../generated/events.js';
import { mayAnswerLate, type TurnEvent } from '../turns.js';
import type { Output } from './output.js';
import { RequestPrompts, type Ask } from './prompts.js';
import { asked } from './requests.js';

const TOOL_MARK = { started: '⚙', done: '✓', error: '✗' } as const;
const PLAN_MARK = { pending: '☐', in_progress: '▸', completed: '☑' } as const;

/**
 * Shows one turn as it happens and says how it ended: 0 answered, 1 failed
 * (the code and message said on stderr). The events come from the
 * resuming iterator, so a dropped connection only pauses the display. A
 * turn that ends in an error after which its answer may still come is
 * handed to turns.answer, the client's one place for that wait (it asks
 * /recover); once the answer is there, the turn's log holds it after the
 * error (`content`, `end`), which is then shown like the rest. With `ask`
 * (a person at a terminal), the agent's permissions and questions are put
 * to them as they come, and answered.
 */
export async function followTurn(client: PaliadinClient, turnId: string, out: Output, ask?: Ask): Promise<number> {
  const view = new TurnView(out, turnId);
  const prompts = ask && !out.json ? new RequestPrompts(client, out, turnId, ask) : undefined;
  let last: string | undefined;
  let failure: TurnEventData['error'] | undefined;
  out.status('starting');
  try {
    for await (const ev of client.turns.events(turnId)) {
      last = ev.id;
      // A prompt for a request resolved elsewhere goes first: the note saying so then starts a line of its own.
      if (ev.event === 'resolved') prompts?.resolved(ev.data.request_id);
      if (out.json) out.jsonLine(ev);
      else if (prompts && (ev.event === 'permission' || ev.event === 'question')) prompts.asked(ev);
      else view.show(ev);
      if (ev.event === 'error') failure = ev.data;
    }
  } finally {
    await prompts?.close();
  }
  if (!failure) return 0;
  if (mayAnswerLate(failure)) {
    out.status(`${failure.code}: ${failure.message}; waiting for a late answer`);
    if (!out.spins) out.note(`paliadin: turn ${turnId}: ${failure.code}: ${failure.message}; waiting for a late answer`);
  }
  try {
    await client.turns.answer(turnId);
  } catch (e) {
    // answer() reports the turn's own failure as status 0 with the turn's code; anything else is the service's.
    if (!(e instanceof PaliadinError) || e.status !== 0 || e.code !== failure.code) throw e;
    out.status(undefined);
    out.endLine();
    out.note(`paliadin: turn ${turnId} failed: ${failure.code}: ${failure.message}`);
    return 1;
  }
  for await (const ev of client.turns.events(turnId, { lastEventId: last })) {
    if (out.json) out.jsonLine(ev);
    else view.show(ev);
  }
  return 0;
}

/** The human rendering of a turn's events. */
class TurnView {
  /** The answer as printed so far. */
  private shown = '';

  constructor(
    private readonly out: Output,
    private readonly turnId: string,
  ) {}

  show(ev: TurnEvent): void {
    const out = this.out;
    switch (ev.event) {
      case 'meta':
        break;
      case 'thinking': {
        const d = ev.data;
        out.status(
          d.waiting_for
            ? `waiting for an answer to ${d.waiting_for.kind} ${d.waiting_for.request_id}`
            : d.queued
              ? 'queued behind another turn'
              : `thinking ${d.elapsed_seconds}s`,
        );
        break;
      }
      case 'thought':
        out.status('reasoning');
        break;
      case 'content':
        this.answer(ev.data.text ?? this.shown + (ev.data.delta ?? ''));
        break;
      case 'tool':
        // The spinner's label first: the note redraws it below the line.
        out.status(ev.data.status === 'started' ? `${ev.data.name} ${ev.data.input_summary}`.trimEnd() : 'thinking');
        out.note(`${TOOL_MARK[ev.data.status]} ${ev.data.name} ${ev.data.input_summary}`.trimEnd());
        break;
      case 'plan':
        out.note(ev.data.entries.map((e) => `${PLAN_MARK[e.status]} ${e.content}`).join('\n'));
        break;
      // Nobody at a terminal to ask (or a client tool, which only its program can run): how it can be answered.
      case 'permission':
        out.note(`? permission for ${asked('permission', ev.data)}, until ${ev.data.expires_at}: ${this.answerWith(ev.data.request_id, 'allow|always|deny')}`);
        break;
      case 'question':
        out.note(`? ${asked('question', ev.data)}, until ${ev.data.expires_at}: ${this.answerWith(ev.data.request_id, '<answer per question>')}`);
        break;
      case 'client_tool':
        out.note(`? client tool ${asked('client_tool', ev.data)}, until ${ev.data.expires_at}: ${this.answerWith(ev.data.request_id, '<output> [--error]')}`);
        break;
      case 'resolved':
        out.note(`· ${ev.data.kind} ${ev.data.request_id} resolved by ${ev.data.by}`);
        break;
      case 'end':
      case 'error':
        out.status(undefined);
        out.endLine();
        break;
    }
  }

  private answerWith(requestId: string, reply: string): string {
    return `paliadin requests answer ${this.turnId} ${requestId} ${reply}`;
  }

  /** Prints what is new of the answer; a whole `text` that is not a continuation goes on a line of its own. */
  private answer(text: string): void {
    if (text.startsWith(this.shown)) this.out.text(text.slice(this.shown.length));
    else {
      this.out.endLine();
      this.out.text(text);
    }
    this.shown = text;
  }
}
