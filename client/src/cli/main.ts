#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createClient, type PaliadinClient } from '../client.js';
import { chatLoop, chatOnce } from './chat.js';
import { Output } from './output.js';
import { answerRequest, listRequests } from './requests.js';
import { endSession, execInSession, listSessions, newSession } from './sessions.js';
import { recoverTurn, showTurn } from './turns.js';

const USAGE = `usage: paliadin <command> [options]

  chat ["message"] [--session <sid>]   one turn, streamed; without a message, a turn per line of stdin
                                       (on a terminal, the agent's permissions and questions are asked there)
  sessions ls [--all]                  your active sessions (--all: ended ones too)
  sessions new [--name n] [--expires-in 1h] [--workspace w]
                                       a named session: prints its id
  sessions exec <sid> "input"          a turn in the session, streamed
  sessions end <sid>                   ends the session (checkin)
  turns show <turn_id>                 the turn's row
  turns recover <turn_id>              the row and its recovery state (asks for a late answer)
  requests ls <turn_id>                the turn's requests (permissions, questions, client tools)
  requests answer <turn_id> <request_id> <reply...>
                                       a permission: allow | always | deny [--message m];
                                       a question: one reply per question (option number or label,
                                       comma-separated where several may be chosen);
                                       a client tool: its output (JSON or text) [--error]
  help                                 this text

options:
  --url <url>       the service (default: $PALIADIN_URL)
  --token <token>   a user JWT or an API key (default: $PALIADIN_TOKEN)
  --json            machine output only on stdout: JSON lines (one per event for streams)

exit status: 0 done, 1 failed (the turn or the service), 2 usage or configuration
`;

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  session: { type: 'string' },
  all: { type: 'boolean' },
  name: { type: 'string' },
  'expires-in': { type: 'string' },
  workspace: { type: 'string' },
  message: { type: 'string' },
  error: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parse>['values'];
type Run = (client: PaliadinClient, out: Output, args: string[], v: Values) => Promise<number>;

interface Command {
  /** Positional arguments after the command's words: at least, at most. */
  args: [number, number];
  /** The options it takes besides --url, --token and --json. */
  options: (keyof typeof OPTIONS)[];
  run: Run;
}

const COMMANDS: Record<string, Command> = {
  chat: {
    args: [0, Infinity],
    options: ['session'],
    run: (c, out, args, v) => (args.length === 0 ? chatLoop(c, { session: v.session }, out) : chatOnce(c, args.join(' '), { session: v.session }, out)),
  },
  'sessions ls': { args: [0, 0], options: ['all'], run: (c, out, _a, v) => listSessions(c, out, v.all === true) },
  'sessions new': {
    args: [0, 0],
    options: ['name', 'expires-in', 'workspace'],
    run: (c, out, _a, v) => newSession(c, out, { name: v.name, expiresIn: v['expires-in'], workspace: v.workspace }),
  },
  'sessions exec': { args: [2, 2], options: [], run: (c, out, [sid = '', input = '']) => execInSession(c, out, sid, input) },
  'sessions end': { args: [1, 1], options: [], run: (c, out, [sid = '']) => endSession(c, out, sid) },
  'turns show': { args: [1, 1], options: [], run: (c, out, [id = '']) => showTurn(c, out, id) },
  'turns recover': { args: [1, 1], options: [], run: (c, out, [id = '']) => recoverTurn(c, out, id) },
  'requests ls': { args: [1, 1], options: [], run: (c, out, [id = '']) => listRequests(c, out, id) },
  'requests answer': {
    args: [3, Infinity],
    options: ['message', 'error'],
    run: (c, out, [turnId = '', requestId = '', ...reply], v) => answerRequest(c, out, turnId, requestId, reply, { message: v.message, error: v.error }),
  },
};

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

class UsageError extends Error {}

/** The command the words name and its arguments; a UsageError for anything else. */
function resolve(positionals: string[], v: Values): { command: Command; args: string[] } {
  const [first = '', second = ''] = positionals;
  const two = `${first} ${second}`;
  const [name, args] = Object.hasOwn(COMMANDS, two) ? [two, positionals.slice(2)] : [first, positionals.slice(1)];
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) throw new UsageError(first === '' ? 'a command is missing' : `unknown command: ${positionals.slice(0, 2).join(' ')}`);
  const [min, max] = command.args;
  if (args.length < min || args.length > max) throw new UsageError(`${name}: ${args.length < min ? 'missing arguments' : 'too many arguments'}`);
  // An option the command does not take is a mistake, not something to ignore quietly.
  const common = ['url', 'token', 'json', 'help'];
  const stray = Object.keys(v).find((k) => !common.includes(k) && !(command.options as string[]).includes(k));
  if (stray) throw new UsageError(`${name} does not take --${stray}`);
  return { command, args };
}

/** Runs the CLI: its exit code. */
async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parse(argv));
  } catch (e) {
    process.stderr.write(`paliadin: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help || positionals[0] === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  let resolved: ReturnType<typeof resolve>;
  try {
    resolved = resolve(positionals, values);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`paliadin: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  const baseUrl = values.url ?? env.PALIADIN_URL;
  const token = values.token ?? env.PALIADIN_TOKEN;
  for (const [value, name, flag] of [
    [baseUrl, 'PALIADIN_URL', '--url'],
    [token, 'PALIADIN_TOKEN', '--token'],
  ] as const) {
    if (!value) {
      process.stderr.write(`paliadin: ${name} is not set (or give ${flag})\n`);
      return 2;
    }
  }
  const out = new Output(values.json === true);
  // Ctrl-C while a turn streams: the spinner is wiped, not left on the line (the turn itself runs on).
  process.once('SIGINT', () => {
    out.status(undefined);
    process.exit(130);
  });
  try {
    return await resolved.command.run(createClient({ baseUrl: baseUrl ?? '', token: token ?? '' }), out, resolved.args, values);
  } catch (e) {
    out.error(e);
    return 1;
  }
}

// The exit code is set, not forced: stdout is let to drain (a pipe to a slow reader) before the process ends.
process.exitCode = await main(process.argv.slice(2), process.env);
