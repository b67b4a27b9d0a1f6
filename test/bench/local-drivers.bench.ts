import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from '@jest/globals';
import { PALIADIN_BACKEND } from '../../src/backends/backend.interface.js';
import type { ModelReply } from '../../src/backends/local/scripted-model.js';
import { agentSessionName, firstAgentTag } from '../../src/contract/agent-session.js';
import { startAcpAgent, type AcpAgentUnderTest } from '../support/acp-agents.js';
import { startClaudeAgent, startStreamJsonAgent, writeAnswer } from '../support/claude-agent.js';
import { startBackendApp, type TurnApp } from '../support/pipeline-app.js';
import { subFor } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';

// Goals (scripted model): stream-json's warm time to first content p50 ≤ 150 ms; cancel p95 ≤ 500 ms for
// stream-json and each ACP agent; the ACP driver's own overhead (ACP-Claude's warm first content over
// stream-json's, the same Claude Code on the same model) ≤ 50 ms p50.
const GOAL_WARM_FIRST_CONTENT_P50_MS = 150;
const GOAL_CANCEL_P95_MS = 500;
const GOAL_ACP_OVERHEAD_P50_MS = 50;
const ACP_AGENTS: AcpAgentUnderTest[] = ['claude', 'codex', 'gemini'];
type Column = 'stream-json' | 'pty' | `acp:${AcpAgentUnderTest}`;
const COLUMNS: Column[] = ['stream-json', 'pty', ...ACP_AGENTS.map((a) => `acp:${a}` as const)];
const WARM_TURNS = 20;
const COLD_TURNS = 3;
const CANCELS = 15;

// The same answer for both drivers: about 60 words with a chip and a trailer.
const ANSWER = `${Array.from({ length: 60 }, (_, i) => `Wort${i}`).join(' ')} [Fall 42](paliad:case/42)\n\n<!-- paliadin-meta {"used_tools":[],"rows_seen":[42],"classifier_tag":"bench"} -->`;
// What a cancelled turn would have said: long enough never to finish first.
const LONG = Array.from({ length: 2000 }, (_, i) => `lang${i}`).join(' ');

interface DriverFigures {
  warmFirst: number[];
  warmTurn: number[];
  coldFirst: number[];
  coldTurn: number[];
  cancel: number[];
  /** From the cancel request to the first content of the same session's next turn: the agent is usable again. */
  afterCancel: number[];
  rssBytes: number[];
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};

/** One turn, timed from the POST to its first content event and to its end, as a client sees them. */
async function timedTurn(t: TurnApp, email: string, message: string, since = performance.now()): Promise<{ first: number; total: number }> {
  const started = since;
  const turnId = await t.ask(email, { user_message: message });
  let first: number | undefined;
  const read = await t.read(email, turnId, {
    dropPings: true,
    timeoutMs: 60_000,
    onEvent: (ev) => ev.event === 'content' && (first ??= performance.now() - started),
  });
  const total = performance.now() - started;
  if (read.events.at(-1)?.event !== 'end') throw new Error(`turn did not end well: ${JSON.stringify(read.events.at(-1))}`);
  return { first: first ?? total, total };
}

/**
 * Cancels a running turn once it is under way (`started` resolves: first
 * content, or the message at the model) and times the `error cancelled` the
 * client gets, from the moment the cancel request goes out.
 */
async function timedCancel(
  t: TurnApp,
  email: string,
  message: string,
  started: (turnId: string, firstContent: Promise<void>) => Promise<void>,
): Promise<{ cancelAt: number; cancelledAfter: number }> {
  const turnId = await t.ask(email, { user_message: message });
  let cancelAt = 0;
  let cancelledAfter = 0;
  let sawContent!: () => void;
  const firstContent = new Promise<void>((r) => (sawContent = r));
  const reading = t.read(email, turnId, {
    dropPings: true,
    timeoutMs: 60_000,
    onEvent: (ev) => {
      if (ev.event === 'content') sawContent();
      if (ev.event === 'error' && (ev.data as { code: string }).code === 'cancelled') cancelledAfter = performance.now() - cancelAt;
    },
  });
  await started(turnId, firstContent);
  const auth = await t.auth(email);
  cancelAt = performance.now();
  await t.http().post(`/api/paliadin/turns/${turnId}/cancel`).set('Authorization', auth);
  await reading;
  if (!cancelledAfter) throw new Error('no error cancelled event');
  return { cancelAt, cancelledAfter };
}

/** The resident memory of an agent: its process and every process under it (an ACP adapter runs its agent as a child). */
function rssOfTree(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent pid is the 2nd field after the command, which is in parentheses and may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  for (const queue = [pid]; queue.length;) {
    const p = queue.pop()!;
    try {
      total += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    } catch {
      // gone meanwhile
    }
    queue.push(...(children.get(p) ?? []));
  }
  return total || undefined;
}

describe('local drivers: stream-json, pty and ACP (Claude, Codex, Gemini), with the real agents and scripted models', () => {
  const figures = Object.fromEntries(
    COLUMNS.map((c) => [c, { warmFirst: [], warmTurn: [], coldFirst: [], coldTurn: [], cancel: [], afterCancel: [], rssBytes: [] }]),
  ) as unknown as Record<Column, DriverFigures>;
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  async function measure(driver: Column, t: TurnApp, prefix: string, started: (turnId: string, firstContent: Promise<void>) => Promise<void>) {
    const f = figures[driver];
    const backend = t.app.get<{ pool: { pidOf(session: string): number | undefined } }>(PALIADIN_BACKEND);
    for (let i = 0; i < COLD_TURNS; i++) {
      const cold = await timedTurn(t, `bench-${driver}-cold${i}@example.com`, `cold ${i}`);
      f.coldFirst.push(cold.first);
      f.coldTurn.push(cold.total);
    }
    const warm = `bench-${driver}-warm@example.com`;
    await timedTurn(t, warm, 'warm-up');
    for (let i = 0; i < WARM_TURNS; i++) {
      const r = await timedTurn(t, warm, `warm ${i}`);
      f.warmFirst.push(r.first);
      f.warmTurn.push(r.total);
    }
    for (let i = 0; i < COLD_TURNS; i++) {
      const rss = rssOfTree(backend.pool.pidOf(agentSessionName(prefix, firstAgentTag(subFor(`bench-${driver}-cold${i}@example.com`)))));
      if (rss) f.rssBytes.push(rss);
    }
    for (let i = 0; i < CANCELS; i++) {
      const { cancelAt, cancelledAfter } = await timedCancel(t, warm, `cancel ${i}`, started);
      f.cancel.push(cancelledAfter);
      const next = await timedTurn(t, warm, `after cancel ${i}`, cancelAt);
      f.afterCancel.push(next.first);
    }
  }

  it('stream-json', async () => {
    const agent = await startStreamJsonAgent((req): ModelReply | undefined =>
      req.afterToolResult ? undefined : req.userMessage.startsWith('cancel') ? { text: LONG, wordDelayMs: 5 } : { text: ANSWER },
    );
    stops.push(() => agent.stop());
    const t = await startBackendApp(agent.env);
    stops.push(() => t.app.close());
    // Cancelled once the answer is streaming.
    await measure('stream-json', t, agent.env.PALIADIN_SESSION_PREFIX, (_turnId, firstContent) => firstContent);
  });

  it('pty', async () => {
    const agent = await startClaudeAgent((e) =>
      e.message.startsWith('cancel') ? writeAnswer(e, 'never', { hold: new Promise(() => undefined) }) : writeAnswer(e, ANSWER),
    );
    stops.push(() => agent.stop());
    const t = await startBackendApp(agent.env);
    stops.push(() => t.app.close());
    await measure('pty', t, 'paliad-paliadin', async (turnId) => {
      // Nothing streams with pty: cancelled once the message is at the model.
      await waitUntil(() => agent.envelopes().some((e) => e.turnId === turnId), 20_000, 'the message at the model');
    });
  });

  it.each(ACP_AGENTS)('acp:%s', async (name) => {
    const agent = await startAcpAgent(name, (req) =>
      req.afterToolResult ? undefined : /(?<!after )cancel \d+\s*$/.test(req.userMessage) ? { text: LONG, wordDelayMs: 5 } : { text: ANSWER },
    );
    stops.push(() => agent.stop());
    const t = await startBackendApp(agent.env);
    stops.push(() => t.app.close());
    await measure(`acp:${name}`, t, agent.env.PALIADIN_SESSION_PREFIX, (_turnId, firstContent) => firstContent);
  });

  it('prints the table and meets the goals', () => {
    const ms = (x: number | undefined) => (x === undefined ? '-' : `${Math.round(x)} ms`);
    const mb = (xs: number[]) => (xs.length ? `${(xs.reduce((a, b) => a + b, 0) / xs.length / 2 ** 20).toFixed(0)} MB` : '-');
    const rows: [string, (f: DriverFigures) => string][] = [
      [`warm first content p50 (${WARM_TURNS} turns)`, (f) => ms(pct(f.warmFirst, 0.5))],
      ['warm first content p95', (f) => ms(pct(f.warmFirst, 0.95))],
      ['warm turn p50', (f) => ms(pct(f.warmTurn, 0.5))],
      ['warm turn p95', (f) => ms(pct(f.warmTurn, 0.95))],
      [`cold first content p50 (${COLD_TURNS} new sessions)`, (f) => ms(pct(f.coldFirst, 0.5))],
      ['cold turn p50', (f) => ms(pct(f.coldTurn, 0.5))],
      [`cancel → error cancelled p50 (${CANCELS})`, (f) => ms(pct(f.cancel, 0.5))],
      ['cancel → error cancelled p95', (f) => ms(pct(f.cancel, 0.95))],
      ["cancel → next turn's first content p50", (f) => ms(pct(f.afterCancel, 0.5))],
      ['RSS per warm agent (its process tree)', (f) => mb(f.rssBytes)],
    ];
    const w = Math.max(...rows.map(([label]) => label.length));
    const overhead = pct(figures['acp:claude'].warmFirst, 0.5) - pct(figures['stream-json'].warmFirst, 0.5);
    const table = [
      `${''.padEnd(w)}${COLUMNS.map((c) => c.padStart(12)).join('  ')}`,
      ...rows.map(([label, of]) => `${label.padEnd(w)}${COLUMNS.map((c) => of(figures[c]).padStart(12)).join('  ')}`),
      '',
      `ACP driver overhead, acp:claude − stream-json warm first content p50: ${ms(overhead)} (goal ≤ ${GOAL_ACP_OVERHEAD_P50_MS} ms)`,
    ].join('\n');
    console.log(`local drivers, real agents + scripted models\n${table}`);
    expect(pct(figures['stream-json'].warmFirst, 0.5)).toBeLessThanOrEqual(GOAL_WARM_FIRST_CONTENT_P50_MS);
    for (const c of COLUMNS.filter((x) => x !== 'pty')) {
      expect({ [c]: pct(figures[c].cancel, 0.95) <= GOAL_CANCEL_P95_MS }).toEqual({ [c]: true });
      expect(figures[c].rssBytes.length).toBeGreaterThan(0);
    }
    expect(overhead).toBeLessThanOrEqual(GOAL_ACP_OVERHEAD_P50_MS);
  });
});
