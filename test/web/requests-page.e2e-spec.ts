/// <reference lib="dom" />
// (The functions passed to page.evaluate / page.waitForFunction run in the browser.)
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { TWO_QUESTIONS } from '../support/requests.js';
import { launchChromium, screenshot, signInPage } from '../support/browser.js';
import { byMarker, conversationOf, startStreamJsonAgent, type MarkedAnswers, type StreamJsonAgentFixture } from '../support/claude-agent.js';
import { startBackendApp, type TurnApp } from '../support/pipeline-app.js';
import { subFor, tokenFor } from '../support/tokens.js';
import { agentSessionName, firstAgentTag } from '../../src/contract/agent-session.js';
import { waitUntil } from '../support/wait.js';
import { isolatedDatabase } from '../support/isolated-database.js';

// An owner of this suite's own, on a database of its own: the dashboard's open-requests card counts
// every user's, and the suites that run alongside leave requests open on the shared database.
const OWNER_EMAIL = 'requests-owner@example.com';

const answers: MarkedAnswers = new Map();
const conversation = conversationOf;

describe('requests on the pages, in a real browser (real Claude Code, stream-json)', () => {
  let agent: StreamJsonAgentFixture;
  let t: TurnApp;
  let browser: Browser;
  /** The owner's default session's workspace: where the agent writes. */
  let ws: string;
  let db: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    db = await isolatedDatabase();
    agent = await startStreamJsonAgent(byMarker(answers));
    ws = path.join(agent.workspaces, agentSessionName(agent.env.PALIADIN_SESSION_PREFIX, firstAgentTag(subFor(OWNER_EMAIL))));
    answers.set('Schreib', (req) => {
      if (req.afterToolResult)
        return { text: /denied|not allow|nicht/i.test(JSON.stringify(req.body.messages!.at(-1))) ? 'Dann nicht.' : 'Die Notiz ist gespeichert.' };
      const name = /Schreib (\S+)/.exec(req.userMessage)![1];
      return { text: 'Ich lege die Notiz an.', tools: [{ name: 'Write', input: { file_path: path.join(ws, name), content: `Notiz ${name}` } }] };
    });
    answers.set('Frag mich', (req) => {
      if (!req.afterToolResult) return { tools: [{ name: 'AskUserQuestion', input: TWO_QUESTIONS }] };
      return { text: `Gewählt: ${/Which format\?\\"=\\"(\w+)/.exec(conversation(req))?.[1] ?? '?'}` };
    });
    t = await startBackendApp({
      ...agent.env,
      DATABASE_URL: db.url,
      PALIADIN_OWNER_EMAILS: OWNER_EMAIL,
      PALIADIN_AGENT_ASK: 'Write',
      PALIADIN_AGENT_TOOLS: 'Read,Glob,Grep,Edit,Write,AskUserQuestion',
      PALIADIN_THINKING_INTERVAL_MS: '500',
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.app.close();
    await agent?.stop();
    await db?.drop();
  });

  async function chat(width: number): Promise<Page> {
    const page = await (await browser.newContext({ locale: 'en-US', viewport: { width, height: 900 } })).newPage();
    await signInPage(page, `${t.url}/paliadin`, await tokenFor(OWNER_EMAIL));
    await page.waitForSelector('#ask', { state: 'visible' });
    return page;
  }

  async function send(page: Page, message: string) {
    await page.fill('#message', message);
    await page.click('#send');
  }

  it('a permission shows as a card (tool, summary, Allow once / Always / Deny, a waiting counter); Allow once reaches the agent', async () => {
    const page = await chat(1280);
    await send(page, 'Schreib erlaubt.md');
    const card = page.locator('article.assistant .request.permission');
    await card.waitFor({ timeout: 30_000 });
    await expect(card.locator('.request-title').innerText()).resolves.toBe('Paliadin wants to use Write');
    await expect(card.locator('.request-summary').innerText()).resolves.toBe('erlaubt.md');
    await expect(card.locator('.request-actions button').allInnerTexts()).resolves.toEqual(['Allow once', 'Always allow', 'Deny']);
    // The counter counts while nobody answers.
    await page.waitForFunction(() => /Waiting for you · 0:0[2-9]/.test(document.querySelector('.request-wait')?.textContent ?? ''), undefined, {
      timeout: 10_000,
    });
    expect(existsSync(path.join(ws, 'erlaubt.md'))).toBe(false);
    await screenshot(page, 'chat-permission-1280');
    await card.locator('button[data-decision="allow_once"]').click();
    await page.waitForSelector('article.assistant.done', { timeout: 30_000 });
    await expect(card.locator('.request-outcome').innerText()).resolves.toBe('Allowed once');
    expect(readFileSync(path.join(ws, 'erlaubt.md'), 'utf8')).toBe('Notiz erlaubt.md');
    await expect(page.locator('article.assistant .markdown').innerText()).resolves.toContain('Die Notiz ist gespeichert.');
    await screenshot(page, 'chat-permission-answered-1280');
    await page.context().close();
  });

  it('on a phone, after a reload in the middle of the wait: the open request comes back from the replay, and Deny reaches the agent', async () => {
    const page = await chat(390);
    await send(page, 'Schreib verboten.md');
    await page.locator('.request.permission:not(.resolved)').waitFor({ timeout: 30_000 });
    await page.reload();
    const card = page.locator('.request.permission:not(.resolved)');
    await card.waitFor({ timeout: 30_000 });
    await expect(card.locator('.request-summary').innerText()).resolves.toBe('verboten.md');
    await screenshot(page, 'chat-permission-390');
    // Nothing spills sideways on a phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await card.locator('button[data-decision="deny"]').click();
    await page.locator('.request.permission[data-outcome="deny"]').waitFor({ timeout: 30_000 });
    await page.waitForSelector('article.assistant.done', { timeout: 30_000 });
    await expect(page.locator('article.assistant.done .markdown').last().innerText()).resolves.toContain('Dann nicht.');
    expect(existsSync(path.join(ws, 'verboten.md'))).toBe(false);
    await page.context().close();
  });

  it('a question shows its options; the choice reaches the model', async () => {
    const page = await chat(1280);
    await send(page, 'Frag mich');
    const card = page.locator('.request.question');
    await card.waitFor({ timeout: 30_000 });
    await expect(card.locator('fieldset').count()).resolves.toBe(2);
    await expect(card.locator('fieldset').first().locator('input[type=radio]').count()).resolves.toBe(2);
    await expect(card.locator('fieldset').last().locator('input[type=checkbox]').count()).resolves.toBe(3);
    await card.locator('input[value="Word"]').check();
    await card.locator('input[value="Summary"]').check();
    await card.locator('input[value="Costs"]').check();
    await screenshot(page, 'chat-question-1280');
    await card.locator('.request-actions button').click();
    await page.waitForSelector('article.assistant.done', { timeout: 30_000 });
    await expect(card.locator('.request-outcome').innerText()).resolves.toBe('Answered: Word; Summary, Costs');
    await expect(page.locator('article.assistant.done .markdown').last().innerText()).resolves.toBe('Gewählt: Word');
    await page.context().close();
  });

  it('the session page shows open and resolved requests; the dashboard how many are open and the longest wait', async () => {
    const turnId = await t.ask(OWNER_EMAIL, { user_message: 'Schreib wartet.md' });
    await waitUntil(
      async () =>
        (
          await t
            .http()
            .get(`/api/paliadin/turns/${turnId}/requests`)
            .set('Authorization', await t.auth(OWNER_EMAIL))
        ).body.requests?.length === 1,
      30_000,
      'the request',
    );
    const sessions = (
      await t
        .http()
        .get('/api/sessions?status=active')
        .set('Authorization', await t.auth(OWNER_EMAIL))
    ).body.sessions as { id: string; name: string; user_email: string }[];
    // The owner is an admin, and admins are listed everyone's sessions: this one is theirs.
    const sid = sessions.find((s) => s.name === 'default' && s.user_email === OWNER_EMAIL)!.id;
    const page = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } })).newPage();
    await signInPage(page, `${t.url}/admin/paliadin/sessions/${sid}`, await tokenFor(OWNER_EMAIL));
    await page
      .locator(`li.turn[data-turn="${turnId}"] .request.permission:not(.resolved)`)
      .waitFor({ timeout: 20_000 })
      .catch(async (e: unknown) => {
        // What the page shows instead says what went wrong.
        throw new Error(
          `${(e as Error).message}\npage: ${await page
            .locator('#view')
            .innerText()
            .catch(() => '?')}`,
        );
      });
    await expect(page.locator('#open-requests').innerText()).resolves.toBe('Open requests: 1');
    // Earlier turns' requests show resolved, with their outcome.
    await expect(page.locator('.request.resolved[data-outcome="allow_once"] .request-outcome').first().innerText()).resolves.toBe('Allowed once');
    await expect(page.locator('.request.resolved[data-outcome="deny"]').count()).resolves.toBeGreaterThanOrEqual(1);
    await screenshot(page, 'session-requests-1280');

    const board = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } })).newPage();
    await signInPage(board, `${t.url}/admin/paliadin`, await tokenFor(OWNER_EMAIL));
    await board.locator('.card[data-stat="requests_open"] .value').waitFor({ timeout: 20_000 });
    await expect(board.locator('.card[data-stat="requests_open"] .value').innerText()).resolves.toBe('1');
    await expect(board.locator('.card[data-stat="requests_open"] .label').innerText()).resolves.toMatch(
      /^Open requests · the longest waits (\d+(\.\d)? s|\d+ ms)$/,
    );
    await expect(board.locator('.card').count()).resolves.toBe(12);
    await screenshot(board, 'dashboard-requests-1280');
    await board.context().close();

    // Answered on the session page: it reaches the agent, and the count goes.
    await page.locator(`li.turn[data-turn="${turnId}"] button[data-decision="allow_once"]`).click();
    await page.locator(`li.turn.done[data-turn="${turnId}"]`).waitFor({ timeout: 30_000 });
    await expect(page.locator('#open-requests').innerText()).resolves.toBe('');
    expect(readFileSync(path.join(ws, 'wartet.md'), 'utf8')).toBe('Notiz wartet.md');
    await screenshot(page, 'session-requests-answered-1280');
    await page.setViewportSize({ width: 390, height: 900 });
    await screenshot(page, 'session-requests-390');
    await page.context().close();
  });
});
