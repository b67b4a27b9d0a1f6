/// <reference lib="dom" />
// (The functions passed to page.evaluate / page.waitForFunction run in the browser.)
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { launchChromium, screenshot, signInPage } from '../../support/browser.js';
import { startStreamJsonAgent, type StreamJsonAgentFixture } from '../../support/claude-agent.js';
import { startBackendApp, type TurnApp } from '../../support/pipeline-app.js';
import { tokenFor } from '../../support/tokens.js';

const WORDS = Array.from({ length: 40 }, (_, i) => `Wort${i}`);

describe('the chat page with the stream-json driver, in a real browser', () => {
  let agent: StreamJsonAgentFixture;
  let t: TurnApp;
  let browser: Browser;

  beforeAll(async () => {
    agent = await startStreamJsonAgent((req) => (req.afterToolResult ? undefined : { text: `${WORDS.join(' ')} [Fall 42](paliad:case/42)`, wordDelayMs: 40 }));
    t = await startBackendApp(agent.env);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.app.close();
    await agent?.stop();
  });

  it('shows the answer growing word by word, then whole with its chip', async () => {
    const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    await signInPage(page, `${t.url}/paliadin`, await tokenFor('sj-browser@example.com'));
    await page.waitForSelector('#ask', { state: 'visible' });
    // Every length the answer shows while it is not done yet, as the page draws it.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { seen: number[] }).seen = seen;
      new MutationObserver(() => {
        const answer = document.querySelector('article.assistant');
        const length = answer?.querySelector('.markdown')?.textContent?.length ?? 0;
        if (answer && !answer.classList.contains('done') && length > (seen.at(-1) ?? 0)) seen.push(length);
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.fill('#message', 'Erzähl mir was');
    await page.click('#send');
    await page.waitForSelector('article.assistant.done', { timeout: 30_000 });
    const seen = await page.evaluate(() => (window as unknown as { seen: number[] }).seen);
    expect(seen.length).toBeGreaterThanOrEqual(5);
    const final = await page.locator('article.assistant .markdown').innerText();
    expect(final).toBe(`${WORDS.join(' ')} Fall 42`);
    expect(seen[0]).toBeLessThan(final.length / 2);
    await expect(page.locator('article.assistant a.chip').count()).resolves.toBe(1);
    await screenshot(page, 'chat-stream-json');
    await page.context().close();
  });
});
