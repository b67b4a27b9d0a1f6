import type { Interface } from 'node:readline';
import type { PaliadinClient } from '../client.js';
import { PaliadinError } from '../errors.js';
import type { Schemas } from '../types.js';
import type { Output } from './output.js';
import { answerOf, asked, CliError } from './requests.js';

/** Asks a person one thing on the terminal: what they typed, or undefined when `signal` ended the asking (or stdin did). */
export type Ask = (prompt: string, signal: AbortSignal) => Promise<string | undefined>;

/** An Ask on a readline interface of the terminal (prompts on `err`): gives up when the signal aborts or the input ends. */
export function askOn(rl: Interface, err: NodeJS.WritableStream = process.stderr): Ask {
  return (prompt, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) {
        resolve(undefined);
        return;
      }
      const done = (answer: string | undefined) => {
        signal.removeEventListener('abort', gone);
        rl.off('close', gone);
        resolve(answer);
      };
      const gone = () => {
        // The prompt's line is left unanswered: what comes next starts on a line of its own.
        err.write('\n');
        done(undefined);
      };
      signal.addEventListener('abort', gone, { once: true });
      rl.once('close', gone);
      rl.question(prompt, { signal }, done);
    });
}

type Asked = { event: 'permission'; data: Schemas['PermissionEventData'] } | { event: 'question'; data: Schemas['QuestionEventData'] };

/**
 * The requests of a turn that a person at the terminal answers as they
 * come: a permission as y / a / n, a question by its options' numbers. One
 * at a time, in the order asked. A request resolved elsewhere (another
 * caller, its deadline, the turn's end) stops its prompt; an answer the
 * service refuses is said, and the question asked again.
 */
export class RequestPrompts {
  private queue: Promise<void> = Promise.resolve();
  private readonly open = new Map<string, AbortController>();

  constructor(
    private readonly client: PaliadinClient,
    private readonly out: Output,
    private readonly turnId: string,
    private readonly ask: Ask,
  ) {}

  asked(ev: Asked): void {
    const stop = new AbortController();
    this.open.set(ev.data.request_id, stop);
    this.queue = this.queue.then(() => this.prompt(ev, stop.signal)).finally(() => this.open.delete(ev.data.request_id));
  }

  /** The request was resolved (by this prompt or not): its prompt, if still waiting, goes. */
  resolved(requestId: string): void {
    this.open.get(requestId)?.abort();
  }

  /** The turn is over: no prompt waits any more. */
  async close(): Promise<void> {
    for (const stop of this.open.values()) stop.abort();
    await this.queue;
  }

  private async prompt(ev: Asked, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const out = this.out;
    out.asking(true);
    try {
      for (;;) {
        const words = ev.event === 'permission' ? await this.permission(ev.data, signal) : await this.questions(ev.data, signal);
        if (words === undefined) return;
        try {
          await this.client.requests.answer(this.turnId, ev.data.request_id, answerOf({ kind: ev.event, data: ev.data }, words));
          return;
        } catch (e) {
          if (e instanceof PaliadinError && e.code === 'REQUEST_RESOLVED') {
            out.note(`paliadin: request ${ev.data.request_id} was resolved already`);
            return;
          }
          if (!(e instanceof CliError) && !(e instanceof PaliadinError && e.status === 400)) throw e;
          out.note(`paliadin: ${e.message}`);
        }
      }
    } catch (e) {
      // A failure of one prompt (the service away) is said; the turn goes on showing.
      out.error(e);
    } finally {
      out.asking(false);
    }
  }

  private async permission(d: Schemas['PermissionEventData'], signal: AbortSignal): Promise<string[] | undefined> {
    const always = d.options.includes('allow_always') ? ', [a]lways' : '';
    const reply = await this.ask(`? Allow ${asked('permission', d)}: [y]es once${always}, [n]o? `, signal);
    return reply === undefined ? undefined : [reply];
  }

  private async questions(d: Schemas['QuestionEventData'], signal: AbortSignal): Promise<string[] | undefined> {
    const replies: string[] = [];
    for (const q of d.questions) {
      this.out.note(`? ${q.header ? `${q.header}: ` : ''}${q.question}`);
      this.out.note(q.options.map((o, i) => `  ${i + 1}. ${o.label}${o.description ? `: ${o.description}` : ''}`).join('\n'));
      const reply = await this.ask(q.multi_select ? '  numbers or labels, comma-separated: ' : '  number or label: ', signal);
      if (reply === undefined) return undefined;
      replies.push(reply);
    }
    return replies;
  }
}
