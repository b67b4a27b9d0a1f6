import type { PaliadinClient } from '../client.js';
import type { Schemas } from '../types.js';
import { table, type Output } from './output.js';

type Request = Schemas['RequestDto'];
type Answer = Schemas['AnswerRequestDto'];
type Question = Schemas['AgentQuestionData'];

/** What was asked, in one line: the tool and its input, the questions, the client tool's name. */
export function asked(kind: string, data: Record<string, unknown>): string {
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  if (kind === 'permission') return `${text(data.tool)} ${text(data.input_summary)}`.trimEnd();
  if (kind === 'question') return (data.questions as Question[]).map((q) => q.question).join(' / ');
  return text(data.name);
}

/** `requests ls <turn_id>`: the turn's requests, open and resolved. */
export async function listRequests(client: PaliadinClient, out: Output, turnId: string): Promise<number> {
  const list = await client.requests.list(turnId);
  out.result(list, () =>
    table(
      ['ID', 'KIND', 'STATUS', 'ASKED', 'UNTIL'],
      list.requests.map((r) => [r.request_id, r.kind, r.status === 'open' ? 'open' : `resolved (${r.by ?? '?'})`, asked(r.kind, r.data), r.expires_at]),
    ),
  );
  return 0;
}

/**
 * `requests answer <turn_id> <request_id> <reply...>`: a permission takes
 * allow | always | deny (and --message, told to the agent with a deny); a
 * question one reply per question, in order (an option's number or its
 * label; several, comma-separated, where more than one may be chosen); a
 * client tool its output (JSON when it parses as JSON, else the text) and
 * --error when the tool failed.
 */
export async function answerRequest(
  client: PaliadinClient,
  out: Output,
  turnId: string,
  requestId: string,
  words: string[],
  o: { message?: string; error?: boolean },
): Promise<number> {
  const request = (await client.requests.list(turnId)).requests.find((r) => r.request_id === requestId);
  if (!request) throw new CliError(`turn ${turnId} has no request ${requestId}`);
  const body = answerOf(request, words, o);
  const resolved = await client.requests.answer(turnId, requestId, body);
  out.result(resolved, () => `${resolved.request_id} resolved: ${JSON.stringify(resolved.outcome ?? {})}`);
  return 0;
}

/** A mistake in what was typed: said as it is, exit 1 (the service was not asked). */
export class CliError extends Error {}

/** The body that answers `request` with the words typed (the command's, or the chat's prompt's). */
export function answerOf(request: Pick<Request, 'kind' | 'data'>, words: string[], o: { message?: string; error?: boolean } = {}): Answer {
  if (request.kind === 'permission') {
    if (words.length !== 1) throw new CliError('a permission is answered with one word: allow, always or deny');
    const word = words[0].trim().toLowerCase();
    const decision = Object.hasOwn(DECISIONS, word) ? DECISIONS[word] : undefined;
    if (!decision) throw new CliError(`"${words[0]}" is not an answer to a permission: allow, always or deny`);
    return o.message === undefined ? { decision } : { decision, message: o.message };
  }
  if (request.kind === 'question') {
    const questions = request.data.questions as Question[];
    if (words.length !== questions.length) throw new CliError(`${questions.length} question(s), ${words.length} answer(s): one answer per question, in order`);
    return { answers: Object.fromEntries(questions.map((q, i) => [q.question, choice(q, words[i])])) };
  }
  const text = words.join(' ');
  let output: unknown;
  try {
    output = JSON.parse(text);
  } catch {
    output = text;
  }
  return { output: output as Answer['output'], ...(o.error ? { is_error: true } : {}) };
}

const DECISIONS: Record<string, 'allow_once' | 'allow_always' | 'deny'> = {
  y: 'allow_once',
  yes: 'allow_once',
  allow: 'allow_once',
  once: 'allow_once',
  allow_once: 'allow_once',
  a: 'allow_always',
  always: 'allow_always',
  allow_always: 'allow_always',
  n: 'deny',
  no: 'deny',
  deny: 'deny',
};

/** A question's answer: the option numbered or named (several, comma-separated, for a multi-select). */
function choice(q: Question, reply: string): string | string[] {
  const picks = (q.multi_select ? reply.split(',') : [reply]).map((w) => w.trim()).filter((w) => w !== '');
  if (picks.length === 0) throw new CliError(`"${q.question}" needs an answer`);
  const labels = picks.map((w) => {
    const n = Number(w);
    if (Number.isInteger(n) && n >= 1 && n <= q.options.length) return q.options[n - 1].label;
    // The service checks labels against the options; case is forgiven here.
    return q.options.find((opt) => opt.label.toLowerCase() === w.toLowerCase())?.label ?? w;
  });
  return q.multi_select ? labels : labels[0];
}
