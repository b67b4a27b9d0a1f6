/// <reference lib="dom" />
// (The functions passed to page.waitForFunction / page.evaluate run in the browser.)
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { Step } from '../support/scripted-backend.js';
import { launchChromium, screenshot, signInPage } from '../support/browser.js';
import { IdentityProvider } from '../support/identity-provider.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { OWNER_EMAIL } from '../support/test-app.js';
import { subFor, tokenFor } from '../support/tokens.js';
import { ApiKeysService } from '../../src/auth/api-keys.service.js';
import { waitUntil } from '../support/wait.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const ANSWER_CHUNKS = ['Fall **42** ', 'gehört ', 'Anna Meier. ', 'Siehe ', '[Fall 42](paliad:case/42) ', 'und ', '[Anna](paliad:contact/7).'];
const ANSWER_TEXT = 'Fall 42 gehört Anna Meier. Siehe Fall 42 und Anna.';

/** A streamed answer, a chunk every `gap` ms after `silence` ms of nothing (thinking). */
function streamed(silence: number, gap: number, chunks = ANSWER_CHUNKS): Step[] {
  return [
    ...chunks.map((text, i) => ({ delay: i === 0 ? silence : gap, event: { type: 'chunk' as const, text } })),
    { delay: gap, event: { type: 'done' as const, response: chunks.join('') } },
  ];
}

describe('the chat page and the dashboard in a real browser', () => {
  let p: PipelineApp;
  let db: { url: string; drop: () => Promise<void> };
  let browser: Browser;
  let page: Page;
  let owner: string;

  // Users may also sign in with an identity provider's tokens (RS256 from its JWKS).
  const idp = new IdentityProvider();

  beforeAll(async () => {
    db = await isolatedDatabase();
    await idp.start();
    await idp.addKey('RS256');
    p = await startPipelineApp({
      DATABASE_URL: db.url,
      PALIADIN_JWT_JWKS_URL: idp.jwksUrl,
      PALIADIN_JWT_ISSUER: idp.issuer,
      PALIADIN_OWNER_EMAILS: OWNER_EMAIL,
      PALIADIN_THINKING_INTERVAL_MS: '250',
      // The webhooks panel's test: a receiver on 127.0.0.1, one attempt, the retry far away.
      PALIADIN_WEBHOOK_ALLOW_PRIVATE: 'true',
      PALIADIN_WEBHOOK_POLL_MS: '50',
      PALIADIN_WEBHOOK_RETRY_SCHEDULE: '1h',
    });
    browser = await launchChromium();
    owner = await tokenFor(OWNER_EMAIL);
  });
  afterEach(async () => {
    await page?.context().close();
  });
  afterAll(async () => {
    await browser?.close();
    await p?.app.close();
    await idp.stop();
    await db?.drop();
  });

  const chat = async (locale = 'en-US') => {
    page = await (await browser.newContext({ locale })).newPage();
    await signInPage(page, `${p.url}/paliadin`, owner);
    await page.waitForSelector('#ask', { state: 'visible' });
    return page;
  };
  const ask = async (message: string) => {
    await page.fill('#message', message);
    await page.click('#send');
  };
  const answerOf = (n: number) => page.locator('article.assistant').nth(n);

  it('sign in, ask, see the thinking pulse and then the answer as markdown with chips', async () => {
    // Seconds of silence: the page's stream must open, and see a thinking event, before the first chunk.
    p.backend.script = () => streamed(2500, 60);
    await chat();
    await ask('Wem gehört Fall 42?');
    const pulse = answerOf(0).locator('.pulse');
    await pulse.waitFor({ state: 'visible' });
    await expect(pulse.locator('.seconds').textContent()).resolves.toMatch(/^Thinking … \d+ s$/);
    await screenshot(page, 'chat-thinking');
    await page.waitForSelector('article.assistant.done');
    await expect(answerOf(0).locator('.markdown').innerText()).resolves.toBe(ANSWER_TEXT);
    await expect(answerOf(0).locator('strong').innerText()).resolves.toBe('42');
    const chips = answerOf(0).locator('a.chip');
    await expect(chips.count()).resolves.toBe(2);
    await expect(chips.first().getAttribute('data-paliad')).resolves.toBe('case/42');
    await expect(pulse.count()).resolves.toBe(0);
    await screenshot(page, 'chat-answer');

    // The conversation is the session's history: a reload shows it again, loaded from /history.
    await page.reload();
    await page.waitForSelector('article.assistant .markdown');
    await expect(answerOf(0).locator('.markdown').innerText()).resolves.toBe(ANSWER_TEXT);
    await expect(page.locator('article.user').innerText()).resolves.toBe('Wem gehört Fall 42?');
  });

  it('an agent’s thoughts show collapsed, its plan as a checklist, both before the answer (ACP agents); at 1280 and 390 px', async () => {
    p.backend.script = () => [
      { delay: 100, event: { type: 'thought', text: 'Erst die Akte lesen, ' } },
      { delay: 30, event: { type: 'thought', text: 'dann antworten.' } },
      {
        delay: 30,
        event: {
          type: 'plan',
          entries: [
            { content: 'Akte lesen', status: 'in_progress', priority: 'high' },
            { content: 'Antwort schreiben', status: 'pending', priority: 'medium' },
          ],
        },
      },
      {
        delay: 30,
        event: {
          type: 'plan',
          entries: [
            { content: 'Akte lesen', status: 'completed', priority: 'high' },
            { content: 'Antwort schreiben', status: 'in_progress', priority: 'medium' },
          ],
        },
      },
      ...streamed(30, 30),
    ];
    await chat();
    await ask('Plane und antworte');
    await page.waitForSelector('article.assistant.done');
    const thought = answerOf(0).locator('details.thought');
    await expect(thought.getAttribute('open')).resolves.toBeNull();
    await expect(thought.locator('summary').innerText()).resolves.toBe('Thoughts');
    await expect(thought.locator('p').isVisible()).resolves.toBe(false);
    await thought.locator('summary').click();
    await expect(thought.locator('p').innerText()).resolves.toBe('Erst die Akte lesen, dann antworten.');
    // The plan as it last stood: one list, each step with its status.
    await expect(answerOf(0).locator('ul.plan').count()).resolves.toBe(1);
    const steps = answerOf(0).locator('ul.plan li');
    await expect(steps.allInnerTexts()).resolves.toEqual(['Akte lesen', 'Antwort schreiben']);
    await expect(steps.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.status))).resolves.toEqual(['completed', 'in_progress']);
    // In the bubble's order: thought, plan, answer.
    const order = await answerOf(0).evaluate((node) => [...node.children].map((c) => c.className || c.tagName.toLowerCase()));
    expect(order.indexOf('thought')).toBeLessThan(order.indexOf('plan'));
    expect(order.indexOf('plan')).toBeLessThan(order.findIndex((c) => c.includes('markdown')));
    await expect(answerOf(0).locator('.markdown').innerText()).resolves.toBe(ANSWER_TEXT);
    await screenshot(page, 'chat-thought-plan');
    await page.setViewportSize({ width: 390, height: 800 });
    await screenshot(page, 'chat-thought-plan-phone');
  });

  it('the server drops the stream mid-answer: the page reconnects and shows the full answer exactly once', async () => {
    const chunks = Array.from({ length: 12 }, (_, i) => `Teil${i} `);
    p.backend.script = () => streamed(100, 200, chunks);
    await chat();
    await ask('Lange Antwort bitte');
    await page.waitForFunction(() => (document.querySelector('article.assistant .markdown')?.textContent ?? '').includes('Teil3'));
    p.app.getHttpServer().closeAllConnections(); // every open response, the event stream included
    await page.waitForSelector('article.assistant.done', { timeout: 20_000 });
    await expect(answerOf(0).locator('.markdown').innerText()).resolves.toBe(chunks.join('').trim());
    await screenshot(page, 'chat-after-drop');
  });

  it('when the stream cannot be had back, the page says it is reconnecting, then polls /recover and shows the answer', async () => {
    p.backend.script = () => streamed(100, 250, ['Erst ', 'das, ', 'dann ', 'der ', 'Rest.']);
    await chat('de-DE');
    await ask('Wiederherstellen?');
    await page.waitForFunction(() => (document.querySelector('article.assistant .markdown')?.textContent ?? '').includes('Erst'));
    // From now on the turn's stream cannot be had: every try fails like a dropped connection, and the page gives up after a few.
    await page.route('**/api/paliadin/stream/**', (route) => route.abort('connectionreset'));
    // /recover is held until the page was seen asking it.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/paliadin/turns/*/recover', async (route) => {
      await released;
      await route.continue();
    });
    p.app.getHttpServer().closeAllConnections();
    await page.waitForFunction(() => document.querySelector('article.assistant .status')?.textContent === 'Verbindung unterbrochen, verbinde neu …');
    await page.waitForFunction(() => document.querySelector('article.assistant .status')?.textContent === 'Lade frische Antwort …', undefined, {
      timeout: 20_000,
    });
    await screenshot(page, 'chat-recovering');
    release();
    await page.waitForSelector('article.assistant.done', { timeout: 20_000 });
    await expect(answerOf(0).locator('.markdown').innerText()).resolves.toBe('Erst das, dann der Rest.');
    await expect(answerOf(0).locator('.status').count()).resolves.toBe(0);
  });

  it('answers are sanitised: no script runs, no javascript: link survives', async () => {
    p.backend.script = () => [
      {
        delay: 20,
        event: { type: 'done', response: '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>**sicher** [klick](javascript:window.pwned=3)' },
      },
    ];
    await chat();
    await ask('XSS?');
    await page.waitForSelector('article.assistant.done');
    await expect(answerOf(0).locator('strong').innerText()).resolves.toBe('sicher');
    await expect(page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).resolves.toBeUndefined();
    await expect(answerOf(0).locator('[href^="javascript:"], script, [onerror]').count()).resolves.toBe(0);
  });

  it('errors are shown in plain words, in the browser language', async () => {
    p.backend.script = () => [{ delay: 50, event: { type: 'error', code: 'mriver_unreachable', message: 'ECONNREFUSED 10.0.0.1:22' } }];
    await chat('de-DE');
    await ask('Bist du da?');
    await page.waitForSelector('article.assistant .status.error');
    await expect(answerOf(0).locator('.status').innerText()).resolves.toBe('Der Assistent ist gerade nicht erreichbar.');
    await expect(page.locator('#send').innerText()).resolves.toBe('Senden');
  });

  it('cancel stops a running turn; reset starts a new conversation', async () => {
    p.backend.script = () => streamed(60_000, 100);
    await chat();
    await ask('Dauert ewig');
    await page.locator('#cancel').waitFor({ state: 'visible' });
    await page.click('#cancel');
    await page.waitForFunction(() => document.querySelector('article.assistant .status')?.textContent === 'Cancelled.');
    await page.click('#reset');
    await page.waitForFunction(() => document.querySelectorAll('article').length === 0);
    expect(p.backend.resets.length).toBeGreaterThan(0);
  });

  it('a wrong token is refused at sign-in', async () => {
    page = await (await browser.newContext()).newPage();
    await page.goto(`${p.url}/paliadin`);
    await page.fill('#token-input', 'not-a-token');
    await page.click('#signin button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#signin .error')?.textContent !== '');
    await expect(page.locator('#signin .error').innerText()).resolves.toBe('This token was not accepted.');
    // The token never travelled in a URL.
    expect(page.url()).toBe(`${p.url}/paliadin`);
  });

  it("an identity provider's RS256 token signs in on the chat page (and its answer streams) and on the dashboard", async () => {
    const token = await idp.token({ email: OWNER_EMAIL }, { audience: null });
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString())).toMatchObject({ alg: 'RS256' });
    p.backend.script = () => [
      { delay: 20, event: { type: 'chunk', text: 'Über ' } },
      { delay: 20, event: { type: 'chunk', text: 'JWKS angemeldet.' } },
      { delay: 20, event: { type: 'done', response: 'Über JWKS angemeldet.' } },
    ];
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    await signInPage(page, `${p.url}/paliadin`, token);
    await page.waitForSelector('#ask', { state: 'visible' });
    await ask('Wer bin ich?');
    await page.locator('article.assistant.done', { hasText: 'Über JWKS angemeldet.' }).last().waitFor();
    await page.context().close();
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    await signInPage(page, `${p.url}/admin/paliadin?refresh=300`, token);
    await page.waitForSelector('#board', { state: 'visible' });
    await screenshot(page, 'dashboard-jwks-token');
  });

  it('the dashboard shows the turns in its cards and its table, and refreshes itself', async () => {
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    await signInPage(page, `${p.url}/admin/paliadin?refresh=300`, owner);
    await page.waitForSelector('#board', { state: 'visible' });
    const total = await p.http().get('/api/admin/paliadin/stats').set('Authorization', `Bearer ${owner}`);
    const card = (stat: string) => page.locator(`[data-stat="${stat}"] .value`).innerText();
    await expect(card('total_turns')).resolves.toBe(String(total.body.total_turns));
    expect(total.body.total_turns).toBeGreaterThanOrEqual(5);
    await expect(page.locator('#turns tbody tr', { hasText: 'Wem gehört Fall 42?' }).count()).resolves.toBe(1);
    await expect(page.locator('#error-codes', { hasText: 'mriver_unreachable' }).count()).resolves.toBe(1);
    await expect(page.locator('#per-day').isVisible()).resolves.toBe(true);

    // A new turn appears without a reload.
    p.backend.script = () => [{ event: { type: 'done', response: 'frisch' } }];
    await p.ask(OWNER_EMAIL, { user_message: 'Neu auf dem Board' });
    await page.locator('#turns tbody tr', { hasText: 'Neu auf dem Board' }).waitFor();
    // The cards and the table come from separate requests sent together, so one refresh can
    // show the new row with the count read just before it: the count follows by the next one.
    const expected = String((total.body.total_turns as number) + 1);
    await page.waitForFunction((n) => document.querySelector('[data-stat="total_turns"] .value')?.textContent === n, expected);
    await expect(card('total_turns')).resolves.toBe(expected);
    await screenshot(page, 'dashboard');
  });

  it('the dashboard lists active agent sessions of every user, and an admin can end one', async () => {
    const auth = `Bearer ${await tokenFor(OWNER_EMAIL)}`;
    const created = (await p.http().post('/api/sessions').set('Authorization', auth).send({ name: 'board-bot' })).body;
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    page.on('dialog', (d) => void d.accept());
    await signInPage(page, `${p.url}/admin/paliadin?refresh=300`, owner);
    const row = page.locator(`#sessions tr[data-session="${created.id}"]`);
    await row.waitFor();
    await expect(row.innerText()).resolves.toContain('board-bot');
    await expect(row.innerText()).resolves.toContain(OWNER_EMAIL);
    await screenshot(page, 'dashboard-sessions');
    await row.locator('button.end-session').click();
    await row.waitFor({ state: 'detached' });
    const after = await p.http().get(`/api/sessions/${created.id}`).set('Authorization', auth);
    expect(after.body.status).toBe('terminated');
  });

  it('an empty chat says what to do; right after Send the answer shows dots, never an empty bubble; no request of the page fails (favicon included)', async () => {
    p.backend.script = () => streamed(2500, 60);
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    // A fresh browser session id: no history, so the page is empty.
    await page.addInitScript(() => localStorage.setItem('paliadin_session', crypto.randomUUID()));
    await signInPage(page, `${p.url}/paliadin`, owner);
    await page.waitForSelector('#ask', { state: 'visible' });
    await expect(page.locator('#conversation .hint').innerText()).resolves.toMatch(/^Ask Paliadin something/);
    await screenshot(page, 'chat-empty');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'chat-empty-390');
    await page.setViewportSize({ width: 1280, height: 800 });

    await ask('Was gibt es Neues?');
    const answer = answerOf(0);
    await answer.waitFor();
    // Before the turn is even accepted: the dots (a pseudo-element with a size), or already the thinking pulse.
    const look = await answer.evaluate((node) => ({
      empty: node.childElementCount === 0,
      pending: node.classList.contains('pending'),
      dots: getComputedStyle(node, '::after').content !== 'none' && getComputedStyle(node, '::after').width !== '0px',
    }));
    expect(look.empty ? look.pending && look.dots : true).toBe(true);
    await expect(page.locator('#conversation .hint').count()).resolves.toBe(0);
    await answer.locator('.pulse').waitFor();
    await page.waitForSelector('article.assistant.done');
    // The header links to the user's own session page.
    await expect(page.locator('#session-link').getAttribute('href')).resolves.toMatch(/^\/admin\/paliadin\/sessions\/[0-9a-f-]{36}$/);
    expect(failed).toEqual([]);
    const icon = await fetch(`${p.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  });

  it('the dashboard shows webhooks whose deliveries fail, with the latest error', async () => {
    const receiver = new WebhookReceiver();
    receiver.answer = () => ({ status: 500 });
    await receiver.start();
    try {
      const auth = `Bearer ${await tokenFor('hooked@example.com')}`;
      const hook = (
        await p
          .http()
          .post('/api/webhooks')
          .set('Authorization', auth)
          .send({ url: receiver.url('/ci'), events: ['turn.completed'] })
      ).body;
      await p.http().post(`/api/webhooks/${hook.id}/test`).set('Authorization', auth).expect(202);
      await waitUntil(async () => (await p.http().get(`/api/webhooks/${hook.id}`).set('Authorization', auth)).body.failing === 1, 10_000, 'the failed attempt');
      page = await (await browser.newContext({ locale: 'en-US' })).newPage();
      await signInPage(page, `${p.url}/admin/paliadin?refresh=300`, owner);
      const row = page.locator(`#webhooks tr[data-webhook="${hook.id}"]`);
      await row.waitFor();
      const text = await row.innerText();
      expect(text).toContain('hooked@example.com');
      expect(text).toContain(receiver.url('/ci'));
      expect(text).toContain('answered 500');
      await screenshot(page, 'dashboard-webhooks');
    } finally {
      await receiver.stop();
    }
  });

  it('the dashboard on a phone: the chart keeps its height, dates do not wrap, sessions link to their page', async () => {
    page = await (await browser.newContext({ locale: 'en-US', viewport: { width: 390, height: 844 } })).newPage();
    await signInPage(page, `${p.url}/admin/paliadin?refresh=300`, owner);
    await page.waitForSelector('#board', { state: 'visible' });
    const chart = await page.locator('#per-day').boundingBox();
    expect(chart!.height).toBeGreaterThanOrEqual(200);
    // Read in one go in the page: the board re-renders its rows every few seconds, and a cell found a moment
    // before may be detached (no computed style) by the time it is read.
    await page.locator('#turns td.when').first().waitFor();
    await expect(page.evaluate(() => getComputedStyle(document.querySelector('#turns td.when')!).whiteSpace)).resolves.toBe('nowrap');
    const link = page.locator('#sessions a.session-link').first();
    if ((await link.count()) > 0) await expect(link.getAttribute('href')).resolves.toMatch(/^\/admin\/paliadin\/sessions\//);
    await screenshot(page, 'dashboard-390');
  });

  it('a signed-in user who may not see the dashboard is told who may, and can sign out to use another token', async () => {
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    const someone = await tokenFor('someone@example.com');
    // Signed in already (the chat page keeps the token for the tab), then off to the dashboard.
    await page.addInitScript((t) => {
      if (sessionStorage.getItem('seeded')) return;
      sessionStorage.setItem('seeded', '1');
      sessionStorage.setItem('paliadin_token', t);
    }, someone);
    await page.goto(`${p.url}/admin/paliadin`);
    await page.locator('#denied').waitFor();
    await expect(page.locator('#denied-text').innerText()).resolves.toBe('No access with this token.');
    await expect(page.locator('#denied-who').innerText()).resolves.toContain('PALIADIN_OWNER_EMAILS');
    await screenshot(page, 'dashboard-denied');
    await page.click('#denied-signout');
    await page.locator('#signin').waitFor({ state: 'visible' });
  });

  it('the dashboard tells a non-owner there is no access', async () => {
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    await refusedAtSignIn(page, `${p.url}/admin/paliadin`, await tokenFor('someone@example.com'));
    await expect(page.locator('#signin .error').innerText()).resolves.toBe('This token was not accepted: owners and admin keys only.');
    await expect(page.locator('#board').isHidden()).resolves.toBe(true);
  });

  it('an admin API key signs in to the dashboard (it needs no stream cookie), but not to the chat page', async () => {
    const { key } = await p.app
      .get(ApiKeysService)
      .create({ userId: subFor('ops@example.com'), email: 'ops@example.com', name: 'ops', scopes: ['paliadin:admin'] });
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    await signInPage(page, `${p.url}/admin/paliadin`, key);
    await page.waitForSelector('#board', { state: 'visible' });
    await page.context().close();

    const { key: ownerKey } = await p.app.get(ApiKeysService).create({ userId: subFor(OWNER_EMAIL), email: OWNER_EMAIL, name: 'k', scopes: ['admin'] });
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    await refusedAtSignIn(page, `${p.url}/paliadin`, ownerKey);
    await expect(page.locator('#signin .error').innerText()).resolves.toBe('This token was not accepted.');
  });
});

/** Submits the sign-in form and waits for its error. */
async function refusedAtSignIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.fill('#token-input', token);
  await page.click('#signin button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#signin .error')?.textContent !== '');
}
