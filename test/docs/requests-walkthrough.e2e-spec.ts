import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { demoReply } from '../../src/backends/local/demo-model.js';
import { agentSessionName, firstAgentTag } from '../../src/contract/agent-session.js';
import { startStreamJsonAgent, type StreamJsonAgentFixture } from '../support/claude-agent.js';
import { startBackendApp, type TurnApp } from '../support/pipeline-app.js';
import { subFor, tokenFor } from '../support/tokens.js';

const DOC = readFileSync('docs/requests.md', 'utf8');
const MARKER = '<!-- The blocks below run as written in test/docs/requests-walkthrough.e2e-spec.ts. -->';
const blocks = (text: string) => [...text.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);

/** The settings the walk-through starts the service with (its `… npm start` line). */
function startSettings(): Record<string, string> {
  const start = blocks(DOC.slice(0, DOC.indexOf(MARKER)))
    .flatMap((b) => b.split('\n'))
    .find((l) => l.trim().endsWith('npm start'))!;
  return Object.fromEntries(
    start
      .split(/\s+/)
      .filter((w) => w.includes('='))
      .map((w) => w.split('=') as [string, string]),
  );
}

/** What the turns' answers said: their content deltas, joined. */
const said = (out: string) =>
  [...out.matchAll(/^event: content\ndata: (.*)$/gm)].map((m) => (JSON.parse(m[1]) as { delta?: string; text?: string }).delta ?? '').join('');

function run(script: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('docs/requests.md: the curl walk-through works as written', () => {
  let agent: StreamJsonAgentFixture;
  let t: TurnApp;
  const USER = 'walkthrough@example.com';

  beforeAll(async () => {
    // The model npm start uses without credentials: the demo model.
    agent = await startStreamJsonAgent(demoReply);
    t = await startBackendApp({ ...agent.env, ...startSettings() });
  });
  afterAll(async () => {
    await t?.app.close();
    await agent?.stop();
  });

  it('a permission allowed once, a retry and a refused second answer, a question, a client tool', async () => {
    expect(startSettings()).toEqual({ PALIADIN_AGENT_ASK: 'Write', PALIADIN_AGENT_TOOLS: 'Read,Glob,Grep,Edit,Write,AskUserQuestion' });
    const script = ['set -u', ...blocks(DOC.slice(DOC.indexOf(MARKER)))].join('\n');
    const { code, out } = await run(script, { PALIADIN: t.url, TOKEN: await tokenFor(USER) });
    expect({ code, tail: out.slice(-400) }).toEqual({ code: 0, tail: expect.any(String) });
    // No turn of the walk-through ends in an error (and if one does, the failure says which).
    expect(out.match(/^event: error\ndata: .*$/gm) ?? []).toEqual([]);
    // The permission: shown and waited on, listed open, allowed once, the file written, the turn ended.
    expect(out).toMatch(/event: permission\ndata: \{[^\n]*"tool":"Write"[^\n]*"input_summary":"notes\.md"/);
    expect(out).toMatch(/"status":"open"/);
    expect(out).toMatch(/"status":"resolved"[^\n]*"outcome":\{"decision":"allow_once"\}/);
    expect(
      readFileSync(path.join(agent.workspaces, agentSessionName(agent.env.PALIADIN_SESSION_PREFIX, firstAgentTag(subFor(USER))), 'notes.md'), 'utf8'),
    ).toBe('Written by the Paliadin demo model.\n');
    expect(out).toMatch(/\n200\n/);
    expect(out).toMatch(/"statusCode":409,"error":"Conflict","message":"[^"]+","code":"REQUEST_RESOLVED","request":\{/);
    // The question and its answer; the client tool and its output, each reaching the model.
    expect(out).toMatch(/event: question\ndata: [^\n]*"Which format should the summary have\?"/);
    const answers = said(out);
    expect(answers).toContain('"Which format should the summary have?"="Prose"');
    expect(out).toMatch(/event: client_tool\ndata: \{[^\n]*"name":"read_selection"/);
    expect(answers).toContain('the tool call came back with: Deadline for case 42: 3 May');
    expect(out.match(/event: end\n/g)).toHaveLength(3);
    expect(existsSync(path.join(agent.workspaces, 'notes.md'))).toBe(false);
  });
});
