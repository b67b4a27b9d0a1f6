/// <reference lib="dom" />
// (The functions passed to page.evaluate / page.waitForFunction run in the browser.)
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot, signInPage } from '../support/browser.js';
import { startClaudeAgent, startStreamJsonAgent, writeAnswer, type ClaudeAgentFixture, type StreamJsonAgentFixture } from '../support/claude-agent.js';
import { startBackendApp, type TurnApp } from '../support/pipeline-app.js';
import { tokenFor } from '../support/tokens.js';

const WORDS = Array.from({ length: 40 }, (_, i) => `Wort${i}`);

/** The caller's active default session (it exists once they had a turn). */
async function defaultSession(t: TurnApp, email: string): Promise<string> {
  const res = await t
    .http()
    .get('/api/sessions?status=active')
    .set('Authorization', await t.auth(email));
  return (res.body.sessions as { id: string; name: string }[]).find((s) => s.name === 'default')!.id;
}

async function openSessionPage(browser: Browser, url: string, email: string, width = 1280): Promise<Page> {
  const page = await (await browser.newContext({ locale: 'en-US', viewport: { width, height: 900 } })).newPage();
  await signInPage(page, url, await tokenFor(email));
  return page;
}

describe('the session page with the pty driver: the live terminal', () => {
  let agent: ClaudeAgentFixture;
  let t: TurnApp;
  let browser: Browser;

  beforeAll(async () => {
    agent = await startClaudeAgent((e) => writeAnswer(e, `Echo: ${e.message}`));
    t = await startBackendApp({ ...agent.env, PALIADIN_LOCAL_DRIVER: 'pty' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.app.close();
    await agent?.stop();
  });

  it("draws the agent's terminal with xterm.js and updates it while a turn runs; the events list the turns", async () => {
    const email = 'pty-watcher@example.com';
    await t.read(email, await t.ask(email, { user_message: 'erste Frage' }), { dropPings: true, timeoutMs: 30_000 });
    const sid = await defaultSession(t, email);
    const page = await openSessionPage(browser, `${t.url}/admin/paliadin/sessions/${sid}`, email);
    // xterm.js renders rows into the page; the first screen shows the agent's UI.
    await page.waitForFunction(() => (document.getElementById('terminal')?.dataset.screen ?? '').includes('erste Frage'), undefined, { timeout: 20_000 });
    await expect(page.locator('#terminal .xterm-screen').isVisible()).resolves.toBe(true);
    // The events come on a stream of their own (a replay from Postgres), which may follow the screen's.
    await page.locator('#events li.turn').first().waitFor({ timeout: 20_000 });
    await expect(page.locator('#events li.turn').count()).resolves.toBe(1);

    // A turn while the page watches: its message appears on the terminal, its block in the events.
    const turnId = await t.ask(email, { user_message: 'zweite Frage live' });
    await page.waitForFunction(() => (document.getElementById('terminal')?.dataset.screen ?? '').includes('zweite Frage live'), undefined, { timeout: 20_000 });
    await t.read(email, turnId, { dropPings: true, timeoutMs: 30_000 });
    await page.locator(`#events li.turn.done[data-turn="${turnId}"]`).waitFor({ timeout: 20_000 });
    await expect(page.locator(`#events li.turn[data-turn="${turnId}"] .answer`).innerText()).resolves.toBe('Echo: zweite Frage live');
    await expect(page.locator('#checkin').isVisible()).resolves.toBe(true);
    // Force-terminate is for admins only.
    await expect(page.locator('#terminate').isHidden()).resolves.toBe(true);
    await screenshot(page, 'session-pty');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'session-pty-390');
    await page.context().close();
  });
});

describe('the session page with the stream-json driver: the events as they stream', () => {
  let agent: StreamJsonAgentFixture;
  let t: TurnApp;
  let browser: Browser;

  beforeAll(async () => {
    agent = await startStreamJsonAgent((req) => (req.afterToolResult ? undefined : { text: WORDS.join(' '), wordDelayMs: 60 }));
    t = await startBackendApp(agent.env);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.app.close();
    await agent?.stop();
  });

  it('fills the event list while a turn streams, says there is no terminal, and resumes a dropped connection without gaps or repeats', async () => {
    const email = 'sj-watcher@example.com';
    await t.read(email, await t.ask(email, { user_message: 'zum Aufwärmen' }), { dropPings: true, timeoutMs: 30_000 });
    const sid = await defaultSession(t, email);
    const page = await openSessionPage(browser, `${t.url}/admin/paliadin/sessions/${sid}`, email);
    await page.locator('#events li.turn.done').waitFor({ timeout: 20_000 });
    // The note comes from the screen's own request (its 409), which may follow the events' stream.
    await page.locator('#terminal-panel.no-terminal').waitFor({ timeout: 20_000 });
    await expect(page.locator('#terminal-note').innerText()).resolves.toMatch(/runs without a terminal/);
    await expect(page.locator('#terminal').isHidden()).resolves.toBe(true);

    // Every length the streaming answer shows before it is done, as the page draws it.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { seen: number[] }).seen = seen;
      new MutationObserver(() => {
        const turn = document.querySelectorAll('#events li.turn')[1];
        const length = turn?.querySelector('.answer')?.textContent?.length ?? 0;
        if (turn && !turn.classList.contains('done') && length > (seen.at(-1) ?? 0)) seen.push(length);
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    const turnId = await t.ask(email, { user_message: 'erzähl was' });
    // Mid-answer, the server drops every connection: the page reconnects with the last id it had.
    await page.waitForFunction(() => ((window as unknown as { seen: number[] }).seen.at(-1) ?? 0) > 30, undefined, { timeout: 20_000 });
    (t.app.getHttpServer() as http.Server).closeAllConnections();
    await page.locator(`#events li.turn.done[data-turn="${turnId}"]`).waitFor({ timeout: 30_000 });
    const seen = await page.evaluate(() => (window as unknown as { seen: number[] }).seen);
    expect(seen.length).toBeGreaterThanOrEqual(5);
    // The whole answer exactly once: nothing lost over the drop, nothing shown twice.
    await expect(page.locator(`#events li.turn[data-turn="${turnId}"] .answer`).innerText()).resolves.toBe(WORDS.join(' '));
    await expect(page.locator('#events li.turn').count()).resolves.toBe(2);
    await expect(page.locator('#events li.session-event').count()).resolves.toBe(1);
    await screenshot(page, 'session-stream-json');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'session-stream-json-390');
    await page.context().close();
  });

  it("another user's session page shows no data, only that there is no such session", async () => {
    const owner = 'sj-owner@example.com';
    await t.read(owner, await t.ask(owner, { user_message: 'meins' }), { dropPings: true, timeoutMs: 30_000 });
    const sid = await defaultSession(t, owner);
    const page = await openSessionPage(browser, `${t.url}/admin/paliadin/sessions/${sid}`, 'sj-intruder@example.com');
    await page.locator('#denied').waitFor();
    await expect(page.locator('#denied').innerText()).resolves.toMatch(/no such session, or it belongs to another account/);
    await expect(page.locator('#view').isHidden()).resolves.toBe(true);
    await expect(page.locator('body').innerText()).resolves.not.toContain('meins');
    await screenshot(page, 'session-denied');
    await page.context().close();
  });
});
