import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type PaliadinClient } from '@paliadin/client';
import pty from 'node-pty';
import { ApiKeysService } from '../../src/auth/api-keys.service.js';
import { AskingBackend } from '../support/asking-backend.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import type { Step } from '../support/scripted-backend.js';
import { subFor, tokenFor } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';

// The compiled CLI (npm run client:build): what `npx paliadin` runs.
const CLI = path.resolve('client/dist/cli/main.js');
const BIN = path.resolve('node_modules/.bin/paliadin');

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code once the process is gone and its output read. */
  exited: Promise<number | null>;
}

/** The answer every turn gets unless a test scripts another: a tool call and two chunks. */
const ANSWERING = (req: { message: string }): Step[] => [
  { delay: 5, event: { type: 'tool', name: 'Read', inputSummary: 'notes.md', status: 'started' } },
  { delay: 5, event: { type: 'chunk', text: 'Antwort ' } },
  { delay: 5, event: { type: 'tool', name: 'Read', inputSummary: 'notes.md', status: 'done' } },
  { delay: 5, event: { type: 'chunk', text: `auf: ${req.message}` } },
  { delay: 5, event: { type: 'done', response: `Antwort auf: ${req.message}` } },
];

/** `paliadin` against the real service (scripted backend, real Postgres, real HTTP), as a child process. */
describe('the paliadin CLI', () => {
  let p: PipelineApp;
  let db: { url: string; drop: () => Promise<void> } | undefined;
  const children = new Set<ChildProcess>();

  /** Starts the CLI with only the environment given (no PALIADIN_* of the test's own leaks in). */
  const start = (args: string[], env: Record<string, string> = {}, o: { stdin?: string; file?: string } = {}): Run => {
    const file = o.file ?? CLI;
    const child = spawn(file === CLI ? process.execPath : file, file === CLI ? [CLI, ...args] : args, {
      // The bin's shebang finds this node on PATH.
      env: { PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    const run: Run = { child, stdout: '', stderr: '', exited: Promise.resolve(null) };
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (run.stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (run.stderr += s));
    // 'close', not 'exit': after it both pipes are read to their end.
    run.exited = new Promise((resolve) => {
      child.on('close', (code) => resolve(code));
      // A command that cannot be started (ENOENT) never closes: its failure is the answer.
      child.on('error', (e) => {
        run.stderr += e.message;
        resolve(null);
      });
    });
    if (o.stdin !== undefined) child.stdin?.end(o.stdin);
    else child.stdin?.end();
    return run;
  };
  /** Runs the CLI to its end as `email` (a user JWT unless a token is given). */
  const cli = async (email: string, args: string[], o: { stdin?: string; token?: string } = {}) => {
    const run = start(args, { PALIADIN_URL: p.url, PALIADIN_TOKEN: o.token ?? (await tokenFor(email)) }, o);
    const code = await run.exited;
    return { code, stdout: run.stdout, stderr: run.stderr };
  };
  const clientFor = async (email: string): Promise<PaliadinClient> => createClient({ baseUrl: p.url, token: await tokenFor(email) });
  const jsonLines = (stdout: string) =>
    stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));

  /** The CLI on a terminal of its own (a real pseudo-terminal), as a person runs it: what it wrote, and its exit code. */
  const onTerminal = async (email: string, args: string[]) => {
    const term = pty.spawn(process.execPath, [CLI, ...args], {
      cols: 200,
      rows: 50,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TERM: 'xterm', PALIADIN_URL: p.url, PALIADIN_TOKEN: await tokenFor(email) },
    });
    terms.add(term);
    const run = { screen: '', exited: new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode))) };
    term.onData((d) => (run.screen += d));
    /** Waits for `text` to be shown (at `from` or later), then types `keys`: where the text ends on the screen. */
    const type = async (text: string, keys: string, from = 0): Promise<number> => {
      await waitUntil(() => run.screen.includes(text, from), 10_000, `"${text}" on the terminal`);
      term.write(keys);
      return run.screen.indexOf(text, from) + text.length;
    };
    return { run, type };
  };
  const terms = new Set<pty.IPty>();

  beforeAll(async () => {
    // A backend whose `ask me` and `ask a question` turns ask their caller first (test/support/asking-backend.ts);
    // a database of its own, so that other suites' pages do not count these open requests.
    db = await isolatedDatabase();
    p = await startPipelineApp({ DATABASE_URL: db.url }, new AskingBackend());
    p.backend.script = ANSWERING;
  });
  afterEach(() => {
    p.backend.script = ANSWERING;
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children.clear();
    for (const term of terms) term.kill('SIGKILL');
    terms.clear();
  });
  afterAll(async () => {
    await p?.app.close();
    await db?.drop();
  });

  it('chat streams the answer to stdout, tool calls to stderr, no spinner off a terminal', async () => {
    const res = await cli('cli-chat@example.com', ['chat', 'eins']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('Antwort auf: eins\n');
    expect(res.stderr).toContain('⚙ Read notes.md');
    expect(res.stderr).toContain('✓ Read notes.md');
    expect(res.stderr).not.toMatch(/\r|\x1b\[/);
  });

  it('chat prints each delta as it arrives, before the turn is over', async () => {
    const email = 'cli-live@example.com';
    p.backend.script = () => [
      { delay: 5, event: { type: 'chunk', text: 'Der erste Teil. ' } },
      { delay: 60_000, event: { type: 'done', response: 'never' } },
    ];
    const run = start(['chat', 'langsam'], { PALIADIN_URL: p.url, PALIADIN_TOKEN: await tokenFor(email) });
    await waitUntil(() => run.stdout === 'Der erste Teil. ', 10_000, 'the first delta on stdout');
    expect(run.child.exitCode).toBeNull();
    // Ended from elsewhere: the CLI says how the turn ended, with exit 1.
    const turn = p.backend.started.find((r) => r.message === 'langsam')!;
    await (await clientFor(email)).turns.cancel(turn.turnId);
    expect(await run.exited).toBe(1);
    expect(run.stdout).toBe('Der erste Teil. \n');
    expect(run.stderr).toContain(`turn ${turn.turnId} failed: cancelled`);
  });

  it('--json: one parseable line per event, meta to end in order, nothing else on stdout or stderr', async () => {
    const res = await cli('cli-json@example.com', ['chat', '--json', 'zwei']);
    expect(res.code).toBe(0);
    const events = jsonLines(res.stdout);
    expect(events.map((e) => e.event)).toEqual(['meta', 'tool', 'content', 'tool', 'content', 'end']);
    expect(events.map((e) => Number(e.id))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events[0].data.turn_id).toBe(events[5].data.turn_id);
    expect(events[2].data).toMatchObject({ delta: 'Antwort ' });
    expect(res.stderr).toBe('');
  });

  it('an agent error: its code and message on stderr, exit 1; in --json the error event too', async () => {
    p.backend.script = () => [{ delay: 5, event: { type: 'error', code: 'refused', message: 'Nein.' } }];
    const res = await cli('cli-fail@example.com', ['chat', 'drei']);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/failed: refused: Nein\./);
    const json = await cli('cli-fail@example.com', ['chat', '--json', 'drei']);
    expect(json.code).toBe(1);
    expect(jsonLines(json.stdout).map((e) => e.event)).toEqual(['meta', 'error']);
  });

  it('a timeout whose answer comes late: the CLI asks /recover as turns.answer does, then shows it', async () => {
    p.backend.script = (req) => {
      // The answer turns up at the agent a little after the turn gave up on it.
      setTimeout(() => p.backend.late.set(req.turnId, 'spät, aber da'), 300);
      return [{ delay: 5, event: { type: 'error', code: 'timeout', message: 'too slow', retryable: true } }];
    };
    const res = await cli('cli-late@example.com', ['chat', 'vier']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('spät, aber da\n');
    expect(res.stderr).toContain('timeout: too slow; waiting for a late answer');
    // In --json, the turn's log as a resuming reader sees it: the answer after the error.
    const json = await cli('cli-late@example.com', ['chat', '--json', 'fünf']);
    expect(json.code).toBe(0);
    const events = jsonLines(json.stdout);
    expect(events.map((e) => e.event)).toEqual(['meta', 'error', 'content', 'end']);
    expect(events[2].data).toMatchObject({ text: 'spät, aber da' });
  });

  it('chat without a message: a turn per piped line, one browser session, EOF ends it with 0', async () => {
    const email = 'cli-loop@example.com';
    const res = await cli(email, ['chat'], { stdin: 'eins\n\n  \nzwei\n' });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('Antwort auf: eins\nAntwort auf: zwei\n');
    const browserSession = /browser session (\S+)/.exec(res.stderr)?.[1];
    expect(browserSession).toBeDefined();
    const history = await (await clientFor(email)).turns.history({ session: browserSession! });
    expect(history.map((t) => [t.user_message, t.response])).toEqual([
      ['eins', 'Antwort auf: eins'],
      ['zwei', 'Antwort auf: zwei'],
    ]);
  });

  it('sessions: new, ls, exec, chat --session, end, ls --all; the session ends', async () => {
    const email = 'cli-sessions@example.com';
    const created = await cli(email, ['sessions', 'new', '--name', 'cli-work', '--expires-in', '1h']);
    expect(created.code).toBe(0);
    const sid = created.stdout.trim();
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    const asJson = await cli(email, ['sessions', 'new', '--json', '--name', 'cli-json']);
    const other = JSON.parse(asJson.stdout);
    expect(other).toMatchObject({ name: 'cli-json', status: 'active', instructions: { exec_url: expect.stringContaining(other.id) } });

    const ls = await cli(email, ['sessions', 'ls']);
    expect(ls.code).toBe(0);
    expect(ls.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATUS\s+TURNS\s+CREATED$/);
    expect(ls.stdout).toMatch(new RegExp(`${sid}\\s+cli-work\\s+active\\s+0\\s`));

    const exec = await cli(email, ['sessions', 'exec', sid, 'sechs']);
    expect(exec).toMatchObject({ code: 0, stdout: 'Antwort auf: sechs\n' });
    const inSession = await cli(email, ['chat', '--session', sid, 'sieben']);
    expect(inSession).toMatchObject({ code: 0, stdout: 'Antwort auf: sieben\n' });
    const c = await clientFor(email);
    expect(await c.sessions.get(sid)).toMatchObject({ turns: 2, status: 'active' });

    const ended = await cli(email, ['sessions', 'end', sid]);
    expect(ended).toMatchObject({ code: 0, stdout: `${sid} ended\n` });
    expect(await c.sessions.get(sid)).toMatchObject({ status: 'ended' });
    const active = JSON.parse((await cli(email, ['sessions', 'ls', '--json'])).stdout);
    expect(active.sessions.map((s: { id: string }) => s.id)).toEqual([other.id]);
    const all = await cli(email, ['sessions', 'ls', '--all']);
    expect(all.stdout).toMatch(new RegExp(`${sid}\\s+cli-work\\s+ended\\s+2\\s`));

    // The service's refusals: `paliadin: <status> <code>: <message>`, exit 1.
    const dup = await cli(email, ['sessions', 'new', '--name', 'cli-json']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/^paliadin: 409 SESSION_EXISTS: /);
    const again = await cli(email, ['sessions', 'exec', sid, 'acht']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^paliadin: 400.*not active/);
    // Cleaning up, in --json: the checkin's answer as one line.
    const endJson = await cli(email, ['sessions', 'end', '--json', other.id]);
    expect(JSON.parse(endJson.stdout)).toMatchObject({ session_id: other.id, status: 'ended' });
    expect(await c.sessions.get(other.id)).toMatchObject({ status: 'ended' });
  });

  it('turns show and turns recover: the row, as fields or as one JSON line', async () => {
    const email = 'cli-turns@example.com';
    const c = await clientFor(email);
    const { turn_id } = await c.turns.create({ user_message: 'neun' });
    await c.turns.answer(turn_id);
    const shown = await cli(email, ['turns', 'show', turn_id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^turn_id\\s+${turn_id}$`, 'm'));
    expect(shown.stdout).toMatch(/^response\s+Antwort auf: neun$/m);
    expect(shown.stdout).toMatch(/^error_code\s+-$/m);
    const json = await cli(email, ['turns', 'show', '--json', turn_id]);
    expect(JSON.parse(json.stdout)).toEqual(await c.turns.get(turn_id));
    const recovered = await cli(email, ['turns', 'recover', '--json', turn_id]);
    expect(JSON.parse(recovered.stdout)).toMatchObject({ turn_id, recovery_state: 'recovered', response: 'Antwort auf: neun' });
    const missing = await cli(email, ['turns', 'show', '00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^paliadin: 404/);
  });

  it('an API key works as a token, within its scopes', async () => {
    const email = 'cli-key@example.com';
    const { key } = await p.app.get(ApiKeysService).create({ userId: subFor(email), email, name: 'cli', scopes: ['paliadin:turn', 'paliadin:read'] });
    expect(await cli(email, ['chat', 'zehn'], { token: key })).toMatchObject({ code: 0, stdout: 'Antwort auf: zehn\n' });
    const refused = await cli(email, ['sessions', 'ls'], { token: key });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^paliadin: 403.*sessions:read/);
  });

  it('configuration and usage: a missing variable or command is exit 2, a bad token exit 1 with the 401', async () => {
    const noUrl = start(['chat', 'hallo'], { PALIADIN_TOKEN: 'x' });
    expect(await noUrl.exited).toBe(2);
    expect(noUrl.stderr).toBe('paliadin: PALIADIN_URL is not set (or give --url)\n');
    const noToken = start(['sessions', 'ls'], { PALIADIN_URL: p.url });
    expect(await noToken.exited).toBe(2);
    expect(noToken.stderr).toContain('PALIADIN_TOKEN');
    // --url and --token stand in for the variables.
    const flags = start(['turns', 'show', '--url', p.url, '--token', await tokenFor('cli-flags@example.com'), 'not-a-turn']);
    expect(await flags.exited).toBe(1);
    expect(flags.stderr).toMatch(/^paliadin: (400|404)/);

    const bad = await cli('cli-bad@example.com', ['sessions', 'ls'], { token: 'not-a-token' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^paliadin: 401: /);
    expect(bad.stdout).toBe('');

    for (const args of [['frobnicate'], [], ['sessions', 'fly'], ['chat', '--all', 'x'], ['--bogus']]) {
      const run = start(args, { PALIADIN_URL: p.url, PALIADIN_TOKEN: 'x' });
      expect(await run.exited).toBe(2);
      expect(run.stderr).toContain('usage: paliadin');
      expect(run.stdout).toBe('');
    }
  });

  it('off a terminal a request is not asked: the CLI says how to answer it; requests ls and requests answer do, and a wrong reply changes nothing', async () => {
    const email = 'cli-requests@example.com';
    const run = start(['chat', 'ask me'], { PALIADIN_URL: p.url, PALIADIN_TOKEN: await tokenFor(email) });
    await waitUntil(() => run.stderr.includes('paliadin requests answer'), 10_000, 'the request on stderr');
    const turnId = p.backend.started.find((r) => r.message === 'ask me')!.turnId;
    const [request] = (await (await clientFor(email)).requests.list(turnId)).requests;
    expect(run.stderr).toContain(
      `? permission for Write notes.txt, until ${request.expires_at}: paliadin requests answer ${turnId} ${request.request_id} allow|always|deny`,
    );

    const ls = await cli(email, ['requests', 'ls', turnId]);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(
      new RegExp(`^ID\\s+KIND\\s+STATUS\\s+ASKED\\s+UNTIL\\n${request.request_id}\\s+permission\\s+open\\s+Write notes.txt\\s+${request.expires_at}\\n$`),
    );

    // A reply that is not one: said, exit 1, the request still open.
    const wrong = await cli(email, ['requests', 'answer', turnId, request.request_id, 'perhaps']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe('paliadin: "perhaps" is not an answer to a permission: allow, always or deny\n');
    expect((await cli(email, ['requests', 'answer', turnId, 'f0000000-0000-4000-8000-000000000000', 'allow'])).stderr).toContain(
      `turn ${turnId} has no request`,
    );

    const answered = await cli(email, ['requests', 'answer', '--json', turnId, request.request_id, 'always']);
    expect(answered.code).toBe(0);
    expect(JSON.parse(answered.stdout)).toMatchObject({ request_id: request.request_id, status: 'resolved', outcome: { decision: 'allow_always' } });
    expect(await run.exited).toBe(0);
    expect(run.stdout).toBe('asked: {"decision":"allow_always"}\n');
    expect(run.stderr).toContain(`· permission ${request.request_id} resolved by user`);

    // Another answer now: the service's 409, said as such.
    const again = await cli(email, ['requests', 'answer', turnId, request.request_id, 'deny', '--message', 'no']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^paliadin: 409 REQUEST_RESOLVED: /);
    const ls2 = await cli(email, ['requests', 'ls', '--json', turnId]);
    expect(JSON.parse(ls2.stdout).requests[0]).toMatchObject({ status: 'resolved', by: 'user', outcome: { decision: 'allow_always' } });
  });

  it('requests answer to questions: one reply per question, by number or label, several comma-separated where several may be chosen', async () => {
    const email = 'cli-questions@example.com';
    const run = start(['chat', 'ask a question'], { PALIADIN_URL: p.url, PALIADIN_TOKEN: await tokenFor(email) });
    await waitUntil(() => run.stderr.includes('paliadin requests answer'), 10_000, 'the question on stderr');
    expect(run.stderr).toContain('? Which format? / Which parts?, until');
    const turnId = p.backend.started.find((r) => r.message === 'ask a question')!.turnId;
    const [request] = (await (await clientFor(email)).requests.list(turnId)).requests;
    const one = await cli(email, ['requests', 'answer', turnId, request.request_id, 'pdf']);
    expect(one.code).toBe(1);
    expect(one.stderr).toBe('paliadin: 2 question(s), 1 answer(s): one answer per question, in order\n');
    const answered = await cli(email, ['requests', 'answer', turnId, request.request_id, '2', '1, appendix']);
    expect(answered.code).toBe(0);
    expect(await run.exited).toBe(0);
    expect(JSON.parse(run.stdout.replace(/^asked: /, ''))).toEqual({ answers: { 'Which format?': ['HTML'], 'Which parts?': ['Intro', 'Appendix'] } });
  });

  it('on a terminal, chat asks the person: a permission (a wrong key asked again), questions by number; a request answered elsewhere takes its prompt away', async () => {
    const email = 'cli-tty@example.com';
    const perm = await onTerminal(email, ['chat', 'ask me']);
    const asked = await perm.type('? Allow Write notes.txt: [y]es once, [a]lways, [n]o? ', 'x\r');
    const told = await perm.type('paliadin: "x" is not an answer to a permission: allow, always or deny', '', asked);
    await perm.type('? Allow Write notes.txt: [y]es once, [a]lways, [n]o? ', 'y\r', told);
    expect(await perm.run.exited).toBe(0);
    expect(perm.run.screen).toContain('asked: {"decision":"allow_once"}');

    const question = await onTerminal(email, ['chat', 'ask a question']);
    await question.type('  2. HTML: for the browser', '');
    await question.type('number or label: ', '2\r');
    await question.type('? Parts: Which parts?', '');
    await question.type('numbers or labels, comma-separated: ', '1, body\r');
    expect(await question.run.exited).toBe(0);
    expect(JSON.parse(/asked: (.*)/.exec(question.run.screen)![1])).toEqual({ answers: { 'Which format?': ['HTML'], 'Which parts?': ['Intro', 'Body'] } });

    // Answered by another program while the person is asked: the prompt goes, the answer shows, exit 0.
    const elsewhere = await onTerminal(email, ['chat', 'ask me']);
    await elsewhere.type('[n]o? ', '');
    const turnId = p.backend.started.filter((r) => r.message === 'ask me').at(-1)!.turnId;
    const c = await clientFor(email);
    const [open] = (await c.requests.list(turnId)).requests;
    await c.requests.answer(turnId, open.request_id, { decision: 'deny', message: 'not now' });
    expect(await elsewhere.run.exited).toBe(0);
    // The prompt's line is left, and what follows starts on a line of its own.
    expect(elsewhere.run.screen).toMatch(/\[n\]o\? \S*[\r\n]+· permission \S+ resolved by user/);
    expect(JSON.parse(/asked: (.*)/.exec(elsewhere.run.screen)![1])).toEqual({ decision: 'deny', message: 'not now' });
  });

  it('on a terminal, sessions exec asks as chat does', async () => {
    const email = 'cli-tty-exec@example.com';
    const { id } = await (await clientFor(email)).sessions.create({ name: 'tty' });
    const exec = await onTerminal(email, ['sessions', 'exec', id, 'ask me']);
    await exec.type('? Allow Write notes.txt: [y]es once, [a]lways, [n]o? ', 'a\r');
    expect(await exec.run.exited).toBe(0);
    expect(JSON.parse(/asked: (.*)/.exec(exec.run.screen)![1])).toEqual({ decision: 'allow_always' });
  });

  it('on a terminal, the chat loop asks at its prompt and goes on with the next line', async () => {
    const email = 'cli-tty-loop@example.com';
    const loop = await onTerminal(email, ['chat']);
    await loop.type('> ', 'ask me\r');
    await loop.type('[n]o? ', 'n\r');
    const answered = await loop.type('asked: {"decision":"deny"}', '');
    await loop.type('> ', 'eins\r', answered);
    // Ctrl-D at the next prompt: the end of the input, exit 0.
    // (On one terminal the tool-call lines break the answer's line: its last part is what is looked for.)
    const second = await loop.type('auf: eins', '', answered);
    await loop.type('> ', '\x04', second);
    expect(await loop.run.exited).toBe(0);
  });

  it('the installed bin: node_modules/.bin/paliadin --help runs through its shebang', async () => {
    const run = start(['--help'], {}, { file: BIN });
    expect(await run.exited).toBe(0);
    expect(run.stdout).toMatch(/^usage: paliadin <command>/);
    expect(run.stdout).toContain('sessions exec <sid>');
    expect(run.stderr).toBe('');
  });
});
