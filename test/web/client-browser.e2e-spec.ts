/// <reference lib="dom" />
// (The functions passed to page.evaluate / page.waitForFunction run in the browser.)
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { Step } from '../support/scripted-backend.js';
import { launchChromium, screenshot, signInPage } from '../support/browser.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { tokenFor } from '../support/tokens.js';

/** Where the service serves the client SDK's browser build (client/dist/browser/paliadin-client.js). */
const CLIENT_URL = '/paliadin-assets/vendor/paliadin-client.js';

/** The page's window, with the browser build's exports put there by `loadClient`. */
type WithClient = Window & { paliadin: typeof import('@paliadin/client') };

/** Chunks a `gap` ms apart, then `done`. */
function streamed(chunks: string[], gap: number): Step[] {
  return [
    ...chunks.map((text) => ({ delay: gap, event: { type: 'chunk' as const, text } })),
    { delay: gap, event: { type: 'done' as const, response: chunks.join('') } },
  ];
}

/** The browser build of @paliadin/client, run in Chromium against the real service (scripted backend, real Postgres, real HTTP). */
describe("the client SDK's browser build in Chromium", () => {
  let p: PipelineApp;
  let browser: Browser;
  let page: Page | undefined;

  beforeAll(async () => {
    p = await startPipelineApp();
    browser = await launchChromium();
  });
  afterEach(async () => {
    await page?.context().close();
    page = undefined;
  });
  afterAll(async () => {
    await browser?.close();
    await p?.app.close();
  });

  /** A page of the service (so the module and the API are same-origin), the build imported into it as an ES module. */
  async function loadClient(): Promise<Page> {
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    await page.goto(`${p.url}/paliadin`);
    await page.evaluate(async (url) => {
      (window as unknown as WithClient).paliadin = await import(url);
    }, CLIENT_URL);
    return page;
  }

  it('is served as a JavaScript module, with its source map', async () => {
    const res = await fetch(`${p.url}${CLIENT_URL}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    const text = await res.text();
    expect(text).toContain('createClient');
    // eventsource-parser is inlined: nothing is left to resolve from node_modules.
    expect(text).not.toMatch(/from\s*["']eventsource-parser["']/);
    expect((await fetch(`${p.url}${CLIENT_URL}.map`)).status).toBe(200);
  });

  it('creates a turn and reads its events to the end: each once, ids 1..n, the answer', async () => {
    p.backend.script = (req) => streamed(['Antwort ', `auf: ${req.message}`], 5);
    const page = await loadClient();
    const got = await page.evaluate(
      async (token) => {
        const { createClient } = (window as unknown as WithClient).paliadin;
        const c = createClient({ baseUrl: location.origin, token });
        const { turn_id } = await c.turns.create({ user_message: 'eins' });
        const events: { event: string; id: string; data: unknown }[] = [];
        for await (const ev of c.turns.events(turn_id)) events.push({ event: ev.event, id: ev.id, data: ev.data });
        return { turn_id, events, answer: await c.turns.answer(turn_id), row: await c.turns.get(turn_id) };
      },
      await tokenFor('browser-sdk@example.com'),
    );
    expect(got.events.map((e) => e.event)).toEqual(['meta', 'content', 'content', 'end']);
    expect(got.events.map((e) => e.id)).toEqual(['1', '2', '3', '4']);
    expect(got.events[0].data).toMatchObject({ turn_id: got.turn_id });
    const text = got.events.map((e) => (e.event === 'content' ? ((e.data as { delta?: string }).delta ?? '') : '')).join('');
    expect(text).toBe('Antwort auf: eins');
    expect(got.answer).toBe('Antwort auf: eins');
    expect(got.row).toMatchObject({ turn_id: got.turn_id, response: 'Antwort auf: eins', error_code: null });
  });

  it('a stream cut mid-answer (its body fails mid-event) is resumed from the last id: every event once, in order, nothing missing', async () => {
    const chunks = Array.from({ length: 12 }, (_, i) => `Teil${i} `);
    p.backend.script = () => streamed(chunks, 40);
    const page = await loadClient();
    const got = await page.evaluate(
      async (token) => {
        const { createClient } = (window as unknown as WithClient).paliadin;
        const streams: { lastEventId: string | null }[] = [];
        let cut = false;
        /** The first stream's body fails a few bytes into the event that carries `Teil3`, as a dropped connection's would. */
        const cutting: typeof fetch = async (input, init) => {
          const res = await fetch(input, init);
          const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
          if (!url.includes('/api/paliadin/stream/')) return res;
          streams.push({ lastEventId: new Headers(init?.headers).get('Last-Event-ID') });
          if (cut || !res.body) return res;
          cut = true;
          const reader = res.body.getReader();
          let seen = new Uint8Array(0);
          const body = new ReadableStream<Uint8Array>({
            async pull(controller) {
              const { value, done } = await reader.read();
              if (done) {
                controller.close();
                return;
              }
              const before = seen.length;
              const all = new Uint8Array(before + value.length);
              all.set(seen);
              all.set(value, before);
              seen = all;
              // One byte, one character: offsets in the text are offsets in the bytes.
              const at = new TextDecoder('latin1').decode(seen).indexOf('Teil3');
              if (at < 0) {
                controller.enqueue(value);
                return;
              }
              // The bytes up to the middle of `Teil3`, then the connection "drops".
              controller.enqueue(value.subarray(0, Math.max(0, at + 3 - before)));
              await reader.cancel();
              controller.error(new TypeError('network error (cut by the test)'));
            },
          });
          return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
        };
        const c = createClient({ baseUrl: location.origin, token, fetch: cutting, retry: { baseMs: 5, maxMs: 50 } });
        const { turn_id } = await c.turns.create({ user_message: 'lang' });
        const events: { event: string; id: string; delta?: string }[] = [];
        const states: string[] = [];
        for await (const ev of c.turns.events(turn_id, { onState: (state) => states.push(state) })) {
          events.push({ event: ev.event, id: ev.id, ...(ev.event === 'content' ? { delta: ev.data.delta } : {}) });
        }
        return { events, states, streams };
      },
      await tokenFor('browser-sdk-cut@example.com'),
    );

    // Cut once, had back once, with the id of the last whole event before the cut.
    expect(got.states).toEqual(['open', 'reconnecting', 'open']);
    expect(got.streams).toHaveLength(2);
    expect(got.streams[0].lastEventId).toBeNull();
    const teil2 = got.events.find((e) => e.delta === 'Teil2 ')!;
    expect(got.streams[1].lastEventId).toBe(teil2.id);
    // Each event once, in order, nothing missing.
    expect(got.events.map((e) => e.id)).toEqual(got.events.map((_, i) => String(i + 1)));
    expect(got.events.map((e) => e.event)).toEqual(['meta', ...chunks.map(() => 'content'), 'end']);
    expect(got.events.map((e) => e.delta ?? '').join('')).toBe(chunks.join(''));
  });

  it('webhooks.verify checks a Standard Webhooks signature with Web Crypto; a tampered body or another secret is refused (BAD_SIGNATURE)', async () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const id = `msg_${randomBytes(8).toString('hex')}`;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const body = JSON.stringify({ type: 'turn.completed', timestamp: new Date().toISOString(), data: { turn_id: 't-1', response: 'Grüße, fertig' } });
    const signature = `v1,${createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
      .update(`${id}.${timestamp}.${body}`)
      .digest('base64')}`;
    const page = await loadClient();
    const got = await page.evaluate(
      async ({ body, secret, headers }) => {
        const { createClient, verifyWebhook, PaliadinError } = (window as unknown as WithClient).paliadin;
        const c = createClient({ baseUrl: location.origin, token: 'unused' });
        const refusal = (e: unknown) => ({ isPaliadinError: e instanceof PaliadinError, code: (e as { code?: string }).code, message: (e as Error).message });
        const other = `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
        return {
          payload: await c.webhooks.verify(body, headers, secret),
          // fetch's Headers, and the raw bytes of the body, work the same.
          fromHeaders: await verifyWebhook(new TextEncoder().encode(body), new Headers(headers), secret),
          tampered: await c.webhooks.verify(body.replace('fertig', 'gefälscht'), headers, secret).then(() => 'accepted', refusal),
          otherSecret: await c.webhooks.verify(body, headers, other).then(() => 'accepted', refusal),
        };
      },
      { body, secret, headers: { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature } },
    );
    expect(got.payload).toEqual(JSON.parse(body));
    expect(got.fromHeaders).toEqual(JSON.parse(body));
    expect(got.tampered).toMatchObject({ isPaliadinError: true, code: 'BAD_SIGNATURE' });
    expect(got.otherSecret).toMatchObject({ isPaliadinError: true, code: 'BAD_SIGNATURE' });
  });

  it('the chat page streams an answer through the client (bearer token, no cookie needed), growing as it comes', async () => {
    const chunks = Array.from({ length: 8 }, (_, i) => `Stück${i} `);
    p.backend.script = () => streamed(chunks, 80);
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    const streams: (string | undefined)[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/paliadin/stream/')) streams.push(r.headers().authorization);
    });
    await signInPage(page, `${p.url}/paliadin`, await tokenFor('browser-sdk-chat@example.com'));
    await page.waitForSelector('#ask', { state: 'visible' });
    // The stream cookie of the sign-in is not what the page streams with.
    await page.context().clearCookies();
    // Every length the answer shows before it is done.
    await page.evaluate(() => {
      const lengths: number[] = [];
      (window as unknown as { lengths: number[] }).lengths = lengths;
      new MutationObserver(() => {
        const answer = document.querySelector('article.assistant');
        const length = answer?.querySelector('.markdown')?.textContent?.length ?? 0;
        if (answer && !answer.classList.contains('done') && length > (lengths.at(-1) ?? 0)) lengths.push(length);
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.fill('#message', 'Erzähl in Stücken');
    await page.click('#send');
    await page.waitForSelector('article.assistant.done', { timeout: 20_000 });
    await expect(page.locator('article.assistant .markdown').innerText()).resolves.toBe(chunks.join('').trim());
    const lengths = await page.evaluate(() => (window as unknown as { lengths: number[] }).lengths);
    expect(lengths.length).toBeGreaterThanOrEqual(4);
    expect(streams.length).toBeGreaterThanOrEqual(1);
    expect(streams[0]).toMatch(/^Bearer ey/);
    await screenshot(page, 'chat-client-sdk');
  });

  it('a token the service refuses (401) on a client call sends the page back to sign-in', async () => {
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    // Signed in already with a token that is no longer good: the first client call (the history) is answered 401.
    await page.addInitScript(() => {
      if (sessionStorage.getItem('seeded')) return;
      sessionStorage.setItem('seeded', '1');
      sessionStorage.setItem('paliadin_token', 'not-a-token');
    });
    const refused = page.waitForResponse((r) => r.url().includes('/api/paliadin/history') && r.status() === 401);
    await page.goto(`${p.url}/paliadin`);
    await refused;
    await page.locator('#signin').waitFor({ state: 'visible' });
    await expect(page.evaluate(() => sessionStorage.getItem('paliadin_token'))).resolves.toBeNull();
    await expect(page.locator('#ask').isHidden()).resolves.toBe(true);
  });
});
